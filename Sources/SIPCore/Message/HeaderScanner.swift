/// A cursor over one header value for the typed header parsers: LWS,
/// tokens, quoted strings and generic parameters (RFC 3261 §25.1).
///
/// It reads through a buffer pointer, made by `scan` for the scanner's
/// life only: the sub-ranges a parse looks at (`run`) are then slices
/// with no reference count to keep. `origin` is the same bytes as a slice
/// of the message, for the one thing that outlives the scan (parameters).
struct HeaderScanner {
    /// The value's bytes, indexed from 0.
    let bytes: UnsafeBufferPointer<UInt8>
    let origin: ArraySlice<UInt8>
    var pos = 0
    /// Offset of the value's first byte in the message, for error offsets (0 if unknown).
    let base: Int
    let header: String

    /// Runs `body` with a scanner over `value` (a slice of the message, or of a String's bytes).
    @inline(__always)
    static func scan<R, E: Error>(_ value: ArraySlice<UInt8>, header: String, base: Int = 0,
                                  _ body: (inout HeaderScanner) throws(E) -> R) throws(E) -> R {
        try value.withUnsafeBufferPointer { (p) throws(E) -> R in
            var s = HeaderScanner(bytes: p, origin: value, base: base, header: header)
            return try body(&s)
        }
    }

    static func scan<R, E: Error>(_ value: String, header: String, _ body: (inout HeaderScanner) throws(E) -> R) throws(E) -> R {
        try scan(Array(value.utf8)[...], header: header, body)
    }

    private init(bytes: UnsafeBufferPointer<UInt8>, origin: ArraySlice<UInt8>, base: Int, header: String) {
        self.bytes = bytes
        self.origin = origin
        self.base = base
        self.header = header
    }

    /// `r` of the value as a slice of the message (for what outlives the scan).
    func originSlice(_ r: Range<Int>) -> ArraySlice<UInt8> { origin[(origin.startIndex + r.lowerBound)..<(origin.startIndex + r.upperBound)] }

    /// `r` of the value as a String.
    func string(_ r: Slice<UnsafeBufferPointer<UInt8>>) -> String { String(decoding: UnsafeBufferPointer(rebasing: r), as: UTF8.self) }

    @inline(__always)
    var atEnd: Bool { pos >= bytes.endIndex }
    @inline(__always)
    var peek: UInt8? { pos < bytes.endIndex ? bytes[pos] : nil }
    /// The message offset of index `i` of `bytes`.
    func offset(at i: Int) -> Int { base + i }

    func error(_ why: String) -> SIPParseError {
        SIPParseError(.badHeaderValue, "\(header): \(why)", offset: offset(at: pos))
    }

    @inline(__always)
    mutating func skipLWS() {
        GenericParameterGrammar.skipLWS(bytes, &pos)
    }

    @inline(__always)
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
        return pos > start ? string(bytes[start..<pos]) : nil
    }

    /// Reads while `accept` holds; nil if nothing matched.
    @inline(__always)
    mutating func run(while accept: (UInt8) -> Bool) -> Slice<UnsafeBufferPointer<UInt8>>? {
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
        guard escaped else { return string(inner) }
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
        guard peek == UInt8(ascii: "\"") else { throw error("expected '\"'") }
        var escaped = false
        if let why = GenericParameterGrammar.skipQuoted(bytes, &pos, escaped: &escaped) { throw error(why.text(in: bytes)) }
        return escaped
    }

    /// `*( SEMI generic-param )` with LWS around `;` and `=`. Values may be
    /// tokens, quoted strings (kept with their quotes so they re-serialise
    /// unchanged) or IPv6 references. Checked here, read on access
    /// (`SIPParameters` keeps the bytes); `keep` false only checks.
    mutating func parameters(keep: Bool = true) throws(SIPParseError) -> SIPParameters {
        try parametersAndRange(keep: keep).parameters
    }

    /// `parameters`, with where they are in `bytes` when there is any.
    mutating func parametersAndRange(keep: Bool) throws(SIPParseError) -> (parameters: SIPParameters, range: Range<Int>?) {
        let start = pos
        var found = false
        while try nextParameter() != nil { found = true }
        guard found else { return (SIPParameters(), nil) }
        return (keep ? SIPParameters(checkedHeaderBytes: originSlice(start..<pos)) : SIPParameters(), start..<pos)
    }

    /// The next `; name [= value]` (LWS around both) as ranges of `bytes`,
    /// nil when no `;` follows (`GenericParameterGrammar`, its fault named
    /// with the header).
    mutating func nextParameter() throws(SIPParseError) -> (name: Range<Int>, value: Range<Int>?)? {
        switch GenericParameterGrammar.next(bytes, &pos) {
        case .end: return nil
        case .parameter(let name, let value): return (name, value)
        case .failure(let why): throw error(why.text(in: bytes))
        }
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
        return HeaderScanner.scan(v, header: "") { s in try? s.quotedString() } ?? v
    }
}
