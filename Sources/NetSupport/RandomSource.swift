import Synchronization

/// Randomness injected into the state machines (tags, branches, cnonces,
/// refresh points, backoff jitter), so tests can make it deterministic.
public struct RandomSource: Sendable {
    private let nextValue: @Sendable () -> UInt64

    public init(_ next: @escaping @Sendable () -> UInt64) { self.nextValue = next }

    /// The system CSPRNG.
    public static let system = RandomSource { var g = SystemRandomNumberGenerator(); return g.next() }

    /// A reproducible sequence (SplitMix64) for tests.
    public static func seeded(_ seed: UInt64) -> RandomSource {
        let state = Mutex(seed)
        return RandomSource {
            state.withLock { s in
                s &+= 0x9E37_79B9_7F4A_7C15
                var z = s
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                return z ^ (z >> 31)
            }
        }
    }

    public func next() -> UInt64 { nextValue() }

    /// Uniform in `0 ..< 1`.
    public func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// Uniform in the closed range.
    public func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + unit() * (range.upperBound - range.lowerBound)
    }

    /// `count` random bytes as lower-case hex.
    public func hex(_ count: Int) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        var word = next(), left = 8
        for _ in 0..<count {
            if left == 0 { word = next(); left = 8 }
            let b = UInt8(truncatingIfNeeded: word)
            word >>= 8; left -= 1
            out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Duration {
    /// Seconds as a Double, for arithmetic on jittered intervals.
    public var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}
