import Runtime
import Testing

@Test func jsonRendersSortedOneValuePerLine() {
  let value = JSONValue.object([
    "b": .array([.integer(1), .number(0.1), .number(2.0)]),
    "a": .string("x\"y\n"),
    "c": .object([:]),
    "d": .number(.nan),
    "e": .bool(true),
  ])
  // Written by hand from the format's rules: sorted keys, two-space indent,
  // shortest round-trip numbers, whole numbers without a fraction, NaN as null.
  let expected = """
    {
      "a": "x\\"y\\n",
      "b": [
        1,
        0.1,
        2
      ],
      "c": {},
      "d": null,
      "e": true
    }

    """
  #expect(value.rendered() == expected)
  #expect(value.compact() == #"{"a":"x\"y\n","b":[1,0.1,2],"c":{},"d":null,"e":true}"#)
}
