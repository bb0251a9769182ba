#!/usr/bin/env python3
"""Runs nnc bench and the peer implementations on Fashion-MNIST and prints their ratios.

One comparison run is: `nnc bench SPEC --format json` (twice when the environment pins
OpenBLAS's kernel: once as the environment says, once with the pin lifted), then each
peer script. The peers always run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed
from their environment, since those variables force their own OpenBLAS builds onto a
slower kernel; nothing else in the caller's environment changes. With --runs N the whole
comparison is repeated N times, and the summary gives the median over the runs of each
seconds-per-epoch figure and of each ratio (a ratio is always taken within one run,
because the machine is shared and absolute times drift between runs).

    swift build -c release && bench/compare.py --runs 3

Everything is timed the same way: data loaded first (timed apart), a warm-up, then the
fastest of --rounds epochs. See bench/README.md.
"""

import argparse
import ctypes
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import common  # noqa: E402 (after the path is set)

PEERS = {
    "numpy": "numpy_mlp.py",
    "torch": "torch_mlp.py",
    "sklearn": "sklearn_mlp.py",
}


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nnc", default=os.path.join(ROOT, ".build", "release", "nnc"),
                        help="the nnc binary (default: .build/release/nnc)")
    parser.add_argument("--spec", default=os.path.join(ROOT, "specs", "fashion-mnist-mlp.yaml"))
    parser.add_argument("--data", default=common.DEFAULT_DATA)
    parser.add_argument("--runs", type=int, default=1, help="whole comparisons (default 1)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="timed epochs per implementation and run (default 3)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--peers", default="numpy,torch,sklearn",
                        help="comma-separated subset of " + ",".join(PEERS))
    parser.add_argument("--format", choices=("text", "json"), default="text")
    options = parser.parse_args()
    options.peers = [p for p in options.peers.split(",") if p]
    unknown = [p for p in options.peers if p not in PEERS]
    if unknown:
        parser.error(f"unknown peers {unknown}; choose from {list(PEERS)}")
    if options.runs < 1 or options.rounds < 1 or options.threads < 1:
        parser.error("--runs, --rounds and --threads must be at least 1")
    if not os.access(options.nnc, os.X_OK):
        parser.error(f"{options.nnc} not found: build it with `swift build -c release`")
    return options


def unpinned_environment():
    environment = dict(os.environ)
    for name in common.PINNING_VARIABLES:
        environment.pop(name, None)
    return environment


def openblas_kernel(environment):
    """The kernel the system OpenBLAS (the one nnc links) picks under `environment`."""
    probe = ("import ctypes; l = ctypes.CDLL('libopenblas.so.0'); "
             "l.openblas_get_corename.restype = ctypes.c_char_p; "
             "l.openblas_get_config.restype = ctypes.c_char_p; "
             "print(l.openblas_get_config().decode().split()[1], "
             "l.openblas_get_corename().decode())")
    done = subprocess.run([sys.executable, "-c", probe], env=environment,
                          capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else "unknown"


def run_nnc(options, environment, label):
    command = [options.nnc, "bench", options.spec, "--format", "json",
               "--rounds", str(options.rounds), "--threads", str(options.threads)]
    done = subprocess.run(command, env=environment, capture_output=True, text=True,
                          cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    report = json.loads(done.stdout)
    report["implementation"] = label
    report["blas"] = "OpenBLAS " + openblas_kernel(environment)
    return report


def run_peer(options, name):
    command = [sys.executable, os.path.join(HERE, PEERS[name]), "--format", "json",
               "--data", options.data, "--rounds", str(options.rounds),
               "--threads", str(options.threads)]
    done = subprocess.run(command, env=unpinned_environment(), capture_output=True,
                          text=True, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def one_run(options):
    """nnc (pinned as the environment says, then unpinned) and the peers, in that order."""
    load_before = os.getloadavg()[0]
    reports = []
    pinned = [name for name in common.PINNING_VARIABLES if name in os.environ]
    if pinned:
        settings = ", ".join(f"{name}={os.environ[name]}" for name in pinned)
        reports.append(run_nnc(options, dict(os.environ), f"nnc bench ({settings})"))
    reports.append(run_nnc(options, unpinned_environment(), "nnc bench"))
    for name in options.peers:
        reports.append(run_peer(options, name))
    return {"load_average_before": load_before, "load_average_after": os.getloadavg()[0],
            "reports": reports}


def reference(run):
    """The nnc row the peers are compared with: the one run in the peers' environment."""
    return next(r for r in run["reports"] if r["implementation"] == "nnc bench")


def rows_of(run):
    """(label, threads, blas, seconds per epoch, ratio to nnc) for each line of a table."""
    nnc = reference(run)["seconds_per_epoch"]
    rows = []
    for report in run["reports"]:
        if "skipped" in report:
            rows.append((report["implementation"], "", report["skipped"], None, None))
            continue
        seconds = report["seconds_per_epoch"]
        rows.append((report["implementation"], report["threads"], report["blas"],
                     seconds, seconds / nnc))
        if "gemm_only_seconds_per_epoch" in report:
            gemm = report["gemm_only_seconds_per_epoch"]
            rows.append(("  its GEMMs alone", report["threads"], "", gemm, gemm / nnc))
    return rows


def print_table(rows, seconds_header="seconds per epoch"):
    print(f"| implementation | threads | BLAS | {seconds_header} | ratio to nnc |")
    print("|---|---|---|---|---|")
    for label, threads, blas, seconds, ratio in rows:
        shown = "skipped" if seconds is None else seconds
        ratio_text = "" if ratio is None else ratio
        print(f"| {label} | {threads} | {blas} | {shown} | {ratio_text} |")


def formatted(run):
    return [(label, threads, blas,
             None if seconds is None else f"{seconds:.3f}",
             None if ratio is None else f"{ratio:.2f}")
            for label, threads, blas, seconds, ratio in rows_of(run)]


def summary(runs):
    """Median seconds and median within-run ratio per row, with the range of seconds."""
    tables = [rows_of(run) for run in runs]
    rows = []
    for i, (label, threads, blas, seconds, _) in enumerate(tables[0]):
        if seconds is None:
            rows.append((label, threads, blas, None, None))
            continue
        values = [table[i][3] for table in tables]
        ratios = [table[i][4] for table in tables]
        rows.append((label, threads, blas,
                     f"{statistics.median(values):.3f} ({min(values):.3f}–{max(values):.3f})",
                     f"{statistics.median(ratios):.2f}"))
    return rows


def main():
    options = parse_arguments()
    runs = []
    for index in range(options.runs):
        run = one_run(options)
        runs.append(run)
        if options.format == "text":
            print(f"run {index + 1} of {options.runs} (1-minute load average "
                  f"{run['load_average_before']:.2f} before, "
                  f"{run['load_average_after']:.2f} after)")
            print_table(formatted(run))
            for report in run["reports"]:
                if "ratio" in report:
                    print(f"{report['implementation']}: {report['ratio']:.3f} times "
                          f"its GEMM-only time")
            nnc = reference(run)
            shares = ", ".join(f"{name} {100 * share:.1f} %"
                               for name, share in nnc["phase_shares"].items())
            print(f"nnc bench: data load {nnc['data_load_seconds']:.3f} s, "
                  f"peak memory {nnc['peak_resident_bytes'] / (1 << 20):.1f} MiB, "
                  f"phases: {shares}\n")
    if options.format == "json":
        print(json.dumps({"runs": runs}, indent=1))
    elif options.runs > 1:
        print(f"median of {options.runs} runs (range of seconds per epoch)")
        print_table(summary(runs), "seconds per epoch, median (range)")
        for i, report in enumerate(runs[0]["reports"]):
            if "ratio" in report:
                ratios = [run["reports"][i]["ratio"] for run in runs]
                print(f"{report['implementation']}: median {statistics.median(ratios):.3f} "
                      f"times its GEMM-only time ({min(ratios):.3f}–{max(ratios):.3f})")
        nnc = [reference(run) for run in runs]
        loads = [r["data_load_seconds"] for r in nnc]
        shares = ", ".join(
            f"{name} {100 * statistics.median(r['phase_shares'][name] for r in nnc):.1f} %"
            for name in nnc[0]["phase_shares"])
        print(f"nnc bench: data load median {statistics.median(loads):.3f} s "
              f"({min(loads):.3f}–{max(loads):.3f}), phases (medians): {shares}")


if __name__ == "__main__":
    main()
