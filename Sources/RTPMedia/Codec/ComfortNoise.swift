/// RFC 3389 comfort noise as the receiver plays it: the far end stopped
/// sending speech and described its background noise by a level (−dBov,
/// 0…127); until speech resumes, that noise is played instead of silence
/// or concealment, so the agent does not hear the line go dead between
/// phrases. The optional spectral coefficients are not used: the noise is
/// white at the signalled level (what RFC 3389 §4 allows a receiver to do).
/// Allocation-free, for the audio thread.
struct ComfortNoise {
    private var state: UInt32 = 0x2545_F491

    /// Peak of uniform noise with the RMS of level −L dBov (0 dBov = a
    /// full-scale sine, RMS 23170): RMS·√3, for L = 0…127.
    static let amplitude: [Int32] = (0..<128).map { l in
        Int32((23170.0 * 1.7320508 * pow10(-Double(l) / 20)).rounded())
    }

    private static func pow10(_ x: Double) -> Double {
        // 10^x by exp(x·ln 10), without Foundation.
        var result = 1.0, term = 1.0
        let y = x * 2.302585092994046
        for k in 1..<60 {
            term *= y / Double(k)
            result += term
        }
        return result
    }

    /// Fills `out` with noise of level −`level` dBov.
    mutating func fill(_ out: UnsafeMutableBufferPointer<Int16>, level: Int) {
        let a = Self.amplitude[min(127, max(0, level))]
        for i in 0..<out.count {
            state = state &* 1_664_525 &+ 1_013_904_223
            out[i] = Int16(clamping: (Int32(state >> 16) - 32768) * a / 32768)
        }
    }
}
