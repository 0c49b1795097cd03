/// A cursor over one header value for the typed header parsers: LWS,
/// tokens, quoted strings and generic parameters (RFC 3261 §25.1).
struct HeaderScanner {
    /// The value: a slice of the message (or of a String's bytes); indices
    /// are the slice's own, so `pos` starts at `bytes.startIndex`.
    let bytes: ArraySlice<UInt8>
    var pos: Int
    /// Offset of `bytes.startIndex` in the message, for error offsets (0 if unknown).
    let base: Int
    let header: String

    init(_ value: String, header: String, base: Int = 0) {
        self.init(bytes: Array(value.utf8)[...], header: header, base: base)
    }

    init(bytes: ArraySlice<UInt8>, header: String, base: Int = 0) {
        self.bytes = bytes
        self.pos = bytes.startIndex
        self.header = header
        self.base = base
    }

    var atEnd: Bool { pos >= bytes.endIndex }
    var peek: UInt8? { pos < bytes.endIndex ? bytes[pos] : nil }
    /// The message offset of index `i` of `bytes`.
    func offset(at i: Int) -> Int { base + (i - bytes.startIndex) }

    func error(_ why: String) -> SIPParseError {
        SIPParseError(.badHeaderValue, "\(header): \(why)", offset: offset(at: pos))
    }

    mutating func skipLWS() {
        while pos < bytes.endIndex, CharClass.isWhitespace(bytes[pos]) { pos += 1 }
    }

    mutating func consume(_ c: UInt8) -> Bool {
        if peek == c { pos += 1; return true }
        return false
    }

    mutating func expect(_ c: UInt8, _ what: String) throws(SIPParseError) {
        guard consume(c) else { throw error("expected \(what)") }
    }

    mutating func token() -> String? {
        let start = pos
        while pos < bytes.endIndex, CharClass.isToken(bytes[pos]) { pos += 1 }
        return pos > start ? String(decoding: bytes[start..<pos], as: UTF8.self) : nil
    }

    /// Reads while `accept` holds; nil if nothing matched.
    mutating func run(while accept: (UInt8) -> Bool) -> ArraySlice<UInt8>? {
        let start = pos
        while pos < bytes.endIndex, accept(bytes[pos]) { pos += 1 }
        return pos > start ? bytes[start..<pos] : nil
    }

    /// A quoted-string, unescaped. The opening quote must be next.
    mutating func quotedString() throws(SIPParseError) -> String {
        let open = pos
        let escaped = try skipQuotedString()
        let inner = bytes[(open + 1)..<(pos - 1)]
        // Most quoted strings hold no escapes: one String straight from the bytes.
        guard escaped else { return String(decoding: inner, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(inner.count)
        var i = inner.startIndex
        while i < inner.endIndex {
            if inner[i] == UInt8(ascii: "\\") { i += 1 }
            out.append(inner[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Moves past a quoted-string (the opening quote must be next),
    /// checking its quoted-pairs; true when it holds any.
    @discardableResult
    mutating func skipQuotedString() throws(SIPParseError) -> Bool {
        try expect(UInt8(ascii: "\""), "'\"'")
        var escaped = false
        while pos < bytes.endIndex {
            let c = bytes[pos]
            if c == UInt8(ascii: "\\") {
                guard pos + 1 < bytes.endIndex, bytes[pos + 1] != 0x0A, bytes[pos + 1] != 0x0D, bytes[pos + 1] < 0x80 else {
                    throw error("bad quoted-pair")
                }
                escaped = true
                pos += 2
            } else if c == UInt8(ascii: "\"") {
                pos += 1
                return escaped
            } else {
                pos += 1
            }
        }
        throw error("unterminated quoted string")
    }

    /// `*( SEMI generic-param )` with LWS around `;` and `=`. Values may be
    /// tokens, quoted strings (kept with their quotes so they re-serialise
    /// unchanged) or IPv6 references. Checked here, read on access
    /// (`SIPParameters` keeps the bytes).
    mutating func parameters() throws(SIPParseError) -> SIPParameters {
        let start = pos
        skipLWS()
        while consume(UInt8(ascii: ";")) {
            skipLWS()
            let nameStart = pos
            guard run(while: CharClass.isToken) != nil else { throw error("empty or invalid parameter name") }
            let nameEnd = pos
            skipLWS()
            if consume(UInt8(ascii: "=")) {
                skipLWS()
                if peek == UInt8(ascii: "\"") {
                    try skipQuotedString()
                } else if run(while: CharClass.isParameterValue) == nil {
                    throw error("parameter '\(String(decoding: bytes[nameStart..<nameEnd], as: UTF8.self))' has an empty value")
                }
            }
            skipLWS()
        }
        return SIPParameters(headerBytes: bytes[start..<pos])
    }

    static func serialize(_ params: SIPParameters) -> String {
        var s = ""
        for p in params {
            s += ";" + p.name
            if let v = p.value { s += "=" + v }
        }
        return s
    }

    /// Removes the quotes of a quoted parameter value (`"abc"` → `abc`).
    static func unquote(_ v: String) -> String {
        guard v.utf8.count >= 2, v.hasPrefix("\""), v.hasSuffix("\"") else { return v }
        var s = HeaderScanner(v, header: "")
        return (try? s.quotedString()) ?? v
    }
}
