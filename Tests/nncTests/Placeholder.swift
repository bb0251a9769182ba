import Testing

// Replaced by this stage's tests as they land.
@Test func packageBuilds() { #expect(1 + 1 == 2) }
