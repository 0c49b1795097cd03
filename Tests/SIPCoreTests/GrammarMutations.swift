/// Seeded mutations of real header values and URIs, for the tests that
/// hold a one-pass reading of the grammar to the full one.
enum GrammarMutations {
    /// The characters that change the grammar, plus bytes no header may hold.
    static let alphabet = Array("@:;=?%[]<>\\\" 0aZ.-9/&,\t".utf8) + [0x00, 0x80, 0xFF]

    /// The seeds themselves, then `count` mutations of each (1 to 3 bytes
    /// replaced, inserted or removed), the same on every run.
    static func of(_ seeds: [String], count: Int, seed: UInt64) -> [[UInt8]] {
        var rng = TestRandom(seed: seed)
        var out: [[UInt8]] = []
        for s in seeds {
            out.append(Array(s.utf8))
            for _ in 0..<count {
                var b = Array(s.utf8)
                for _ in 0...Int(rng.next() % 3) {
                    let at = Int(rng.next() % UInt64(b.count))
                    switch rng.next() % 3 {
                    case 0: b[at] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                    case 1: b.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                    default: if b.count > 1 { b.remove(at: at) }
                    }
                }
                out.append(b)
            }
        }
        return out
    }
}

/// A small seeded generator (SplitMix64), so a failing mutation is the same on every run.
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
