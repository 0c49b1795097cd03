/// `%HH` escaping for SIP URI components (RFC 3261 §25.1, `escaped`).
public enum PercentEncoding {
    /// Whether every `%` is followed by two hex digits (what `decode` needs).
    static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        while let p = bytes[i...].firstIndex(of: UInt8(ascii: "%")) {
            guard p + 2 < bytes.count, hexValue(bytes[p + 1]) != nil, hexValue(bytes[p + 2]) != nil else { return false }
            i = p + 3
        }
        return true
    }

    /// Decodes escapes; nil when a `%` is not followed by two hex digits.
    public static func decode(_ bytes: ArraySlice<UInt8>) -> String? { bytes.withUnsafeBufferPointer { decode($0) } }

    static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard bytes.contains(UInt8(ascii: "%")) else { return String(decoding: bytes, as: UTF8.self) }
        guard isValid(bytes) else { return nil }
        // One String, its bytes written in place: at most as many as escaped.
        return String(unsafeUninitializedCapacity: bytes.count) { out in
            var i = 0, n = 0
            while i < bytes.count {
                if bytes[i] == UInt8(ascii: "%"), let hi = hexValue(bytes[i + 1]), let lo = hexValue(bytes[i + 2]) {
                    out[n] = hi << 4 | lo
                    i += 3
                } else {
                    out[n] = bytes[i]
                    i += 1
                }
                n += 1
            }
            return n
        }
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Escapes every byte not in `allowed` (alphanumerics and `-_.!~*'()`
    /// are always allowed: RFC 3261 `unreserved`).
    static func encode(_ s: String, allowing allowed: String) -> String {
        let extra = Set(allowed.utf8)
        var out = ""
        out.reserveCapacity(s.utf8.count)
        let hex = Array("0123456789ABCDEF".utf8)
        for b in s.utf8 {
            if CharClass.isUnreserved(b) || extra.contains(b) {
                out.unicodeScalars.append(Unicode.Scalar(b))
            } else {
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(b >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(b & 0xF)]))
            }
        }
        return out
    }

    static let userExtra = "&=+$,;?/"
    static let passwordExtra = "&=+$,"
    static let paramExtra = "[]/:&+$"
    static let headerExtra = "[]/?:+$"
    static let telExtra = "&=+$,/#"
}

/// Character classes from the RFC 3261 ABNF (§25.1).
enum CharClass {
    static func isAlpha(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }
    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    static func isAlnum(_ c: UInt8) -> Bool { isAlpha(c) || isDigit(c) }

    static func isMark(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "!"), UInt8(ascii: "~"),
             UInt8(ascii: "*"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"):
            return true
        default: return false
        }
    }

    static func isUnreserved(_ c: UInt8) -> Bool { isAlnum(c) || isMark(c) }

    /// RFC 3261 `token` characters: alphanumerics and `-.!%*_+`'~`.
    @inline(__always)
    static func isToken(_ c: UInt8) -> Bool { has(c, tokenBit) }

    static func isWhitespace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }

    /// What may appear anywhere in a URI: visible ASCII but `"`, `<`, `>`
    /// (the enclosing name-addr's delimiters).
    @inline(__always)
    static func isURIChar(_ c: UInt8) -> Bool { has(c, uriBit) }

    /// What a generic-param value holds besides quoted strings: token
    /// characters and the `:`, `[`, `]` of an IPv6 reference.
    @inline(__always)
    static func isParameterValue(_ c: UInt8) -> Bool { has(c, parameterValueBit) }

    /// A host name or IPv4 address character: alphanumerics, `-`, `.`.
    @inline(__always)
    static func isHostChar(_ c: UInt8) -> Bool { has(c, hostBit) }

    /// The 1 to `atMost` digits at `i` of `p`, moving past them; nil when
    /// there is none or a digit follows the last one allowed (ports,
    /// sequence numbers: the one-pass readings' number).
    @inline(__always)
    static func digits(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int, atMost: Int) -> UInt64? {
        let start = i
        var n: UInt64 = 0
        while i < p.count, isDigit(p[i]) {
            guard i - start < atMost else { return nil }
            n = n * 10 + UInt64(p[i] - 0x30)
            i += 1
        }
        return i > start ? n : nil
    }

    /// The value of a run of ASCII digits (nil if empty, not all digits,
    /// or longer than 19 digits), without building a String.
    static func number<C: Collection<UInt8>>(_ digits: C) -> UInt64? {
        guard !digits.isEmpty, digits.count <= 19 else { return nil }
        var n: UInt64 = 0
        for c in digits {
            guard isDigit(c) else { return nil }
            n = n * 10 + UInt64(c - 0x30)
        }
        return n
    }

    /// ASCII case-insensitive equality of two byte runs (tokens: header
    /// and parameter names, URI schemes), without lower-cased copies.
    static func equalsIgnoringCase<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
        // A String's bytes read in place (names and schemes are literals): no UTF-8 view iteration.
        if let r = b.withContiguousStorageIfAvailable({ sameLetters(a, $0) }) { return r }
        return sameLetters(a, b)
    }

    @inline(__always)
    private static func sameLetters<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
        guard a.count == b.count else { return false }
        var i = a.startIndex
        for q in b {
            let p = a[i]
            if p != q && !(isAlpha(p) && p | 0x20 == q | 0x20) { return false }
            a.formIndex(after: &i)
        }
        return true
    }
}
