import Planner
import Testing

@Test(
  arguments: [
    ("1000000", 1_000_000),
    ("512MiB", 536_870_912),
    ("2GiB", 2_147_483_648),
    ("2gib", 2_147_483_648),
    ("1.5GB", 1_500_000_000),
    ("1.5 GiB", 1_610_612_736),
    ("64k", 65_536),
    ("3kB", 3000),
    ("10B", 10),
    (" 7 ", 7),
  ])
func sizesAreRead(_ text: String, _ bytes: Int) {
  #expect(MemoryBudget.byteCount(parsing: text) == bytes)
}

@Test(
  arguments: [
    "", "abc", "MiB", "12XB", "-5", "0", "0.5", "1.5", "1e9", ".5GiB", "5.GiB", "1.2.3",
    "99999999999999999999", "9000000TiB",
  ])
func malformedSizesAreRefused(_ text: String) {
  #expect(MemoryBudget.byteCount(parsing: text) == nil)
}

@Test func availableMemoryIsReadFromMeminfo() {
  let meminfo = """
    MemTotal:       24567890 kB
    MemFree:        19000000 kB
    MemAvailable:   22650000 kB
    Buffers:          123456 kB
    """
  #expect(MemoryBudget.availableBytes(meminfo: meminfo) == 22_650_000 * 1024)
  #expect(MemoryBudget.availableBytes(meminfo: "MemTotal: 5 kB\n") == nil)
  #expect(MemoryBudget.availableBytes(meminfo: "MemAvailable: lots\n") == nil)
}

@Test func budgetsAllowUpToTheirLimit() {
  let budget = MemoryBudget(bytes: 100, source: "test")
  #expect(budget.allows(100))
  #expect(!budget.allows(101))
  #expect(MemoryBudget.unlimited.allows(Int.max))
}

@Test func quantitiesReadAsPeopleWriteThem() {
  #expect(Quantity.bytes(512) == "512 B")
  #expect(Quantity.bytes(1536) == "1.50 KiB")
  // 5880 / 1024 = 5.742…
  #expect(Quantity.bytes(5880) == "5.74 KiB")
  #expect(Quantity.bytes(219_800_000) == "210 MiB")
  #expect(Quantity.bytes(1 << 30) == "1.00 GiB")
  #expect(Quantity.grouped(0) == "0")
  #expect(Quantity.grouped(999) == "999")
  #expect(Quantity.grouped(1000) == "1,000")
  #expect(Quantity.grouped(61_622_500) == "61,622,500")
}
