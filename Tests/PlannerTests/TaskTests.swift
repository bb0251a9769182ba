import Planner
import Testing

@Test func outputWidthIsClassOrTargetCount() {
  #expect(Task.classification(classes: ["a", "b", "c"]).width == 3)
  #expect(Task.regression(targets: ["y"]).width == 1)
}
