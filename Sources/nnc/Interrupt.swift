import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Set by the SIGINT handler; read between training steps.
private let interruptRequested = Atomic<Bool>(false)

/// Ctrl-C during training: the first SIGINT asks the run to stop after the
/// step in progress, save a checkpoint and its results, and exit with 130;
/// a second one ends the process at once (every file is written atomically,
/// so even that leaves no half-written file).
enum Interrupt {
  /// Installs the handler. It only stores a flag, writes a fixed message with
  /// write(2) and restores the default action: all async-signal-safe.
  static func install() {
    // A parent may start nnc with SIGINT blocked (test runners do); the
    // signal would then wait unseen until the run ended.
    var signals = sigset_t()
    sigemptyset(&signals)
    sigaddset(&signals, SIGINT)
    pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    signal(SIGINT) { _ in
      interruptRequested.store(true, ordering: .relaxed)
      let message: StaticString = """

        nnc: interrupted: finishing the step and saving a checkpoint \
        (Ctrl-C again to quit at once)

        """
      _ = write(STDERR_FILENO, message.utf8Start, message.utf8CodeUnitCount)
      signal(SIGINT, SIG_DFL)
    }
  }

  static var requested: Bool { interruptRequested.load(ordering: .relaxed) }
}
