import CSIPShims

/// Byte searches sixteen (SSE2) or eight (SWAR) bytes at a time: the header
/// lines and the Call-ID are short, and a wide step beats both a byte loop
/// and the call into memchr for them.
enum WordScan {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let tops: UInt64 = 0x8080_8080_8080_8080

    /// Offset of the next LF at or after `from`, or nil; `high` gathers
    /// the high bits of the bytes before it (nonzero: not all ASCII), and
    /// `colon` is the first ':' among the sixteen bytes from `from` (before
    /// the LF), or -1. One pass does the search, the ASCII check and finds
    /// the colon that ends a header name: most lines are shorter than a
    /// memchr call is worth, and a second pass would read them again.
    @inline(__always)
    static func findLF(_ buf: UnsafeBufferPointer<UInt8>, from: Int, high: inout UInt64, colon: inout Int) -> Int? {
        guard let base = buf.baseAddress else { return nil }
        let raw = UnsafeRawPointer(base)
        let lfs = ones &* 0x0A
        var i = from
        colon = -1
        // Sixteen bytes a step while they last: one SSE2 compare gives the
        // LF's place and another the high bits before it, so the line ends
        // here without a second, narrower pass over the same bytes.
        if i &+ 16 <= buf.count {
            let colons = csip_eq_mask16(raw + i, 0x3A)
            if colons != 0 { colon = i &+ colons.trailingZeroBitCount }
        }
        var highs: UInt32 = 0
        while i &+ 16 <= buf.count {
            let lf = csip_eq_mask16(raw + i, 0x0A)
            let hi = csip_high_mask16(raw + i)
            if lf != 0 {
                let at = lf.trailingZeroBitCount
                // Only the bytes before the LF count towards `high`.
                if (highs | (hi & (lf &- 1))) != 0 { high |= 0x80 }
                if colon > i &+ at { colon = -1 }
                return i &+ at
            }
            highs |= hi
            i &+= 16
        }
        if highs != 0 { high |= 0x80 }
        while i + 8 <= buf.count {
            let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let x = w ^ lfs
            // Nonzero where a byte of x is zero, exact up to the first one.
            let found = (x &- ones) & ~x & tops
            if found != 0 {
                let at = found.trailingZeroBitCount >> 3
                // Only the bytes before the LF count towards `high`.
                high |= at == 0 ? 0 : w & (UInt64.max >> (64 - 8 * at))
                return i + at
            }
            high |= w
            i += 8
        }
        while i < buf.count {
            let c = buf[i]
            if c == 0x0A { return i }
            high |= UInt64(c)
            i += 1
        }
        return nil
    }

    /// Whether `p` holds a byte below `n` (at most 128): for a word, the
    /// classic test `(w - n·ones) & ~w & tops` is nonzero exactly when one
    /// of its bytes is below `n`.
    @inline(__always)
    static func hasByte(below n: UInt8, in p: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = p.baseAddress else { return false }
        let raw = UnsafeRawPointer(base)
        let ns = ones &* UInt64(n)
        var i = 0
        while i + 8 <= p.count {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            if (w &- ns) & ~w & tops != 0 { return true }
            i += 8
        }
        while i < p.count {
            if p[i] < n { return true }
            i += 1
        }
        return false
    }
}
