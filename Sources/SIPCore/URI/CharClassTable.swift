#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The RFC 3261 character classes the parsers test per byte, as one
/// 256-entry table: a class test is one load and one mask, where the
/// predicates cost several compares and branches (the header scanner
/// and URI check run them on every byte of Via, From, To and Contact).
///
/// Entry `c` is `0x40 | classes(c)`, kept printable so the table is a
/// string literal: constant data, with no lazy initialisation to check.
/// `CharClassTests` checks every entry against the ABNF.
extension CharClass {
    /// Whether two byte runs are the same bytes: one memcmp.
    @inline(__always)
    static func sameBytes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        guard let x = a.baseAddress, let y = b.baseAddress else { return true }
        return memcmp(x, y, a.count) == 0
    }

    /// Whether `bytes` are exactly the literal `s` (case-sensitive).
    @inline(__always)
    static func spells(_ s: StaticString, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        sameBytes(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount), bytes)
    }

    /// Whether the `n` bytes at `base` spell `s` (`n` bytes of lower-case
    /// letters and other ASCII: a header name, `sip/2.0/`), a letter's case
    /// folded, eight bytes at a time; the words must be readable up to the
    /// end rounded up to eight. Only letters are folded (0x20 where `s` has
    /// a letter), so a match means exactly these bytes up to case: `-` does
    /// not take CR, nor `@` a backquote. For a literal the optimiser folds
    /// the words to constants.
    @inline(__always)
    static func spellsFolded(_ base: UnsafeRawPointer, _ n: Int, _ s: StaticString) -> Bool {
        var k = 0
        while k < n {
            let expected = word(s, from: k)
            // Bit 6 is set in a lower-case letter (0x61-0x7A) and clear in
            // the digits and punctuation (0x2D '-', 0x2F '/', 0x30-0x39).
            let fold = (expected >> 1) & 0x2020_2020_2020_2020
            let w = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: k, as: UInt64.self)) | fold
            let keep = n - k >= 8 ? UInt64.max : UInt64.max >> (64 - 8 * UInt64(n - k))
            guard w & keep == expected else { return false }
            k += 8
        }
        return true
    }

    /// Up to eight bytes of `s` from `k`, little-endian.
    @inline(__always)
    private static func word(_ s: StaticString, from k: Int) -> UInt64 {
        var w: UInt64 = 0
        for j in 0..<min(8, s.utf8CodeUnitCount - k) { w |= UInt64(s.utf8Start[k + j]) << (8 * UInt64(j)) }
        return w
    }

    /// `token` (RFC 3261 §25.1).
    static let tokenBit: UInt8 = 1
    /// A generic-param value outside quotes: token, `:`, `[`, `]`.
    static let parameterValueBit: UInt8 = 2
    /// Anywhere in a URI: visible ASCII but `"`, `<`, `>`.
    static let uriBit: UInt8 = 4
    /// A host name or IPv4 address: alphanumerics, `-`, `.`.
    static let hostBit: UInt8 = 8
    /// A URI character the one-pass check takes without a closer look
    /// (not `%`, `[`, `?` or `@`).
    static let plainURIBit: UInt8 = 16

    /// The classes of `c`, as the bits above.
    @inline(__always)
    static func classes(_ c: UInt8) -> UInt8 {
        table.utf8Start[Int(c)]
    }

    @inline(__always)
    static func has(_ c: UInt8, _ bit: UInt8) -> Bool { classes(c) & bit != 0 }

    /// The end of the run of bytes of class `bit` from `i` in `p`. Four
    /// bytes a step while they last: names, values and URIs are runs of
    /// ten to forty bytes, and the loop's own compare and branch per byte
    /// cost as much as the class test.
    @inline(__always)
    static func runEnd(_ p: UnsafeBufferPointer<UInt8>, from i: Int, _ bit: UInt8) -> Int {
        let t = table.utf8Start
        var j = i
        // Wrapping adds: an index within a buffer cannot overflow, and the
        // overflow check would be a fifth of the loop.
        while j &+ 4 <= p.count,
              t[Int(p[j])] & t[Int(p[j &+ 1])] & t[Int(p[j &+ 2])] & t[Int(p[j &+ 3])] & bit != 0 {
            j &+= 4
        }
        while j < p.count, t[Int(p[j])] & bit != 0 { j &+= 1 }
        return j
    }

    /// ``runEnd(_:from:_:)`` for runs that are short or end at a byte of
    /// another class (a host, a URI's user part, a parameter name): each
    /// byte of a four-byte step is tested on its own, so the step that ends
    /// the run says where, with no byte-by-byte walk to find it. For long
    /// runs the combined test of `runEnd` costs less.
    @inline(__always)
    static func shortRunEnd(_ p: UnsafeBufferPointer<UInt8>, from i: Int, _ bit: UInt8) -> Int {
        let t = table.utf8Start
        var j = i
        while j &+ 4 <= p.count {
            if t[Int(p[j])] & bit == 0 { return j }
            if t[Int(p[j &+ 1])] & bit == 0 { return j &+ 1 }
            if t[Int(p[j &+ 2])] & bit == 0 { return j &+ 2 }
            if t[Int(p[j &+ 3])] & bit == 0 { return j &+ 3 }
            j &+= 4
        }
        while j < p.count, t[Int(p[j])] & bit != 0 { j &+= 1 }
        return j
    }

    // 64 entries a line; each line's trailing backslash joins them.
    private static var table: StaticString {
        """
        @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@W@TTGTWTTWWT__T__________VT@T@D\
        D__________________________FTVTWW__________________________TTTW@\
        @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\
        @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
        """
    }
}
