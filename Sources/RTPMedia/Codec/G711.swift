/// ITU-T G.711 companding: μ-law (PCMU) and A-law (PCMA), 16-bit linear
/// in and out. Decoding is a table lookup; encoding a segment search. Both
/// work in place on caller buffers: nothing is allocated per frame.
public enum G711 {
    public enum Law: Sendable { case mu, a }

    /// μ-law: bias added before the segment search, and the largest magnitude encoded.
    private static let muBias = 0x84
    private static let muClip = 32635

    public static func encodeMu(_ sample: Int16) -> UInt8 {
        var x = Int(sample)
        let sign: UInt8 = x < 0 ? 0x80 : 0
        if x < 0 { x = -x }
        x = min(x, muClip) + muBias
        // Exponent: position of the highest set bit of x >> 7 (0…7).
        var exponent = 7
        while exponent > 0 && x & (0x4000 >> (7 - exponent)) == 0 { exponent -= 1 }
        let mantissa = UInt8((x >> (exponent + 3)) & 0x0F)
        return ~(sign | UInt8(exponent) << 4 | mantissa)
    }

    public static func decodeMu(_ byte: UInt8) -> Int16 { muTable[Int(byte)] }

    public static func encodeA(_ sample: Int16) -> UInt8 {
        var x = Int(sample)
        let mask: UInt8
        if x >= 0 { mask = 0xD5 } else { mask = 0x55; x = -x - 1 }
        // Segment ends for 16-bit input (13-bit A-law range shifted by 3).
        var segment = 0
        while segment < 8 && x >= (0x100 << segment) { segment += 1 }
        if segment >= 8 { return 0x7F ^ mask }
        let shift = segment < 2 ? 4 : segment + 3
        return (UInt8(segment) << 4 | UInt8((x >> shift) & 0x0F)) ^ mask
    }

    public static func decodeA(_ byte: UInt8) -> Int16 { aTable[Int(byte)] }

    private static let muTable: [Int16] = (0..<256).map { i in
        let b = ~UInt8(i)
        let exponent = Int(b >> 4) & 7, mantissa = Int(b) & 0x0F
        let magnitude = ((mantissa << 3) + muBias) << exponent - muBias
        return Int16(b & 0x80 != 0 ? -magnitude : magnitude)
    }

    private static let aTable: [Int16] = (0..<256).map { i in
        let a = UInt8(i) ^ 0x55
        var t = Int(a & 0x0F) << 4
        let segment = Int(a & 0x70) >> 4
        switch segment {
        case 0: t += 8
        case 1: t += 0x108
        default: t = (t + 0x108) << (segment - 1)
        }
        return Int16(a & 0x80 != 0 ? t : -t)
    }

    /// Encodes `samples` into `out` (one byte per sample); returns the byte count.
    public static func encode(_ law: Law, _ samples: UnsafeBufferPointer<Int16>, into out: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(samples.count, out.count)
        for i in 0..<n { out[i] = law == .mu ? encodeMu(samples[i]) : encodeA(samples[i]) }
        return n
    }

    /// Decodes `bytes` into `out`; returns the sample count.
    public static func decode(_ law: Law, _ bytes: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<Int16>) -> Int {
        let n = min(bytes.count, out.count)
        muTable.withUnsafeBufferPointer { mu in
            aTable.withUnsafeBufferPointer { a in
                let table = law == .mu ? mu : a
                for i in 0..<n { out[i] = table[Int(bytes[i])] }
            }
        }
        return n
    }
}
