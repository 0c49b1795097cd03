/// A From/To/Contact/Route value: `[display-name] <URI> *(;param)` or a
/// bare addr-spec (RFC 3261 §20.10, §20.20, §20.39, §25.1).
public struct SIPNameAddress: Hashable, Sendable, CustomStringConvertible {
    public var displayName: String?
    public var uri: SIPURI
    /// Header parameters (tag, expires, q, +sip.instance, ...), not URI parameters.
    public var parameters: SIPParameters

    public init(displayName: String? = nil, uri: SIPURI, parameters: SIPParameters = SIPParameters()) {
        self.displayName = displayName
        self.uri = uri
        self.parameters = parameters
    }

    public var tag: String? { parameters["tag"] ?? nil }

    public var description: String {
        var s = ""
        if let displayName {
            var q = "\""
            for ch in displayName.unicodeScalars {
                if ch == "\"" || ch == "\\" { q += "\\" }
                q.unicodeScalars.append(ch)
            }
            s = q + "\" "
        }
        return s + "<\(uri)>" + HeaderScanner.serialize(parameters)
    }

    public init(parsing value: String, header: String = "name-addr", base: Int = 0) throws(SIPParseError) {
        try self.init(bytes: Array(value.utf8)[...], header: header, base: base)
    }

    /// Parses a value held as bytes (a slice of the message: no copy);
    /// `base` is the message offset of its first byte.
    init(bytes: ArraySlice<UInt8>, header: String, base: Int) throws(SIPParseError) {
        self = try Self.parse(bytes, header: header, base: base, build: true)!
    }

    /// Throws what parsing would, making nothing (message validation).
    static func check(bytes: ArraySlice<UInt8>, header: String, base: Int) throws(SIPParseError) {
        _ = try parse(bytes, header: header, base: base, build: false)
    }

    private static func parse(_ bytes: ArraySlice<UInt8>, header: String, base: Int, build: Bool) throws(SIPParseError) -> SIPNameAddress? {
        // The usual form in one pass; anything else (faults too) below.
        let usual = bytes.withUnsafeBufferPointer { p -> (UsualFormGrammar.NameAddress, String?)? in
            guard let u = UsualFormGrammar.nameAddress(p) else { return nil }
            return (u, build ? u.display.map { String(decoding: UnsafeBufferPointer(rebasing: p[$0]), as: UTF8.self) } : nil)
        }
        if let (u, display) = usual {
            guard build else { return nil }
            let o = bytes.startIndex
            return SIPNameAddress(displayName: display, uri: SIPURI(checkedBytes: bytes[(o + u.uri.lowerBound)..<(o + u.uri.upperBound)]),
                                  parameters: u.parameters.map { SIPParameters(checkedHeaderBytes: bytes[(o + $0.lowerBound)..<(o + $0.upperBound)]) } ?? SIPParameters())
        }
        return try parseInFull(bytes, header: header, base: base, build: build)
    }

    /// The whole grammar (token display names, addr-spec, any URI, faults
    /// named), for what the one-pass form does not take.
    static func parseInFull(_ bytes: ArraySlice<UInt8>, header: String, base: Int, build: Bool) throws(SIPParseError) -> SIPNameAddress? {
        try partsInFull(bytes, header: header, base: base, build: build).value
    }

    /// `parseInFull`, with where the URI and the parameters are in `bytes`
    /// (from 0), as the one-pass form gives them, for ``SIPMessageKeys``
    /// (the display name is left out: nothing keyed reads it).
    static func partsInFull(_ bytes: ArraySlice<UInt8>, header: String, base: Int, build: Bool) throws(SIPParseError) -> (value: SIPNameAddress?, parts: UsualFormGrammar.NameAddress) {
        try HeaderScanner.scan(bytes, header: header, base: base) { (s) throws(SIPParseError) -> (SIPNameAddress?, UsualFormGrammar.NameAddress) in
            s.skipLWS()
            var display: String?
            if s.peek == UInt8(ascii: "\"") {
                if build { display = try s.quotedString() } else { try s.skipQuotedString() }
                s.skipLWS()
                guard s.peek == UInt8(ascii: "<") else { throw s.error("display name must be followed by <URI>") }
            } else {
                // *(token LWS) "<": a token display name; otherwise an addr-spec.
                let save = s.pos
                var words: [String] = []
                while let t = s.run(while: CharClass.isToken) {
                    if build { words.append(s.string(t)) }
                    s.skipLWS()
                }
                if s.peek == UInt8(ascii: "<") {
                    if !words.isEmpty { display = words.joined(separator: " ") }
                } else {
                    s.pos = save
                }
            }
            let uri: Range<Int>
            if s.consume(UInt8(ascii: "<")) {
                guard let raw = s.run(while: { $0 != UInt8(ascii: ">") }), s.consume(UInt8(ascii: ">")) else {
                    throw s.error("'<' without matching '>'")
                }
                uri = raw.startIndex..<raw.endIndex
            } else {
                // addr-spec: the URI ends at the first ';' and must not hold ',', '?' or ';' (RFC 3261 §20).
                let start = s.pos
                guard let raw = s.run(while: { $0 != UInt8(ascii: ";") && !CharClass.isWhitespace($0) }) else {
                    throw s.error("missing URI")
                }
                if raw.contains(UInt8(ascii: "?")) || raw.contains(UInt8(ascii: ",")) {
                    throw SIPParseError(.badHeaderValue, "\(header): a URI with headers or commas must be enclosed in <>", offset: s.offset(at: start))
                }
                uri = raw.startIndex..<raw.endIndex
            }
            let uriBase = s.offset(at: uri.lowerBound)
            // Checked now (errors name the offset); made into components when read.
            try URIParser.check(UnsafeBufferPointer(rebasing: s.bytes[uri]), base: uriBase)
            let parsed = build ? SIPURI(checkedBytes: s.originSlice(uri)) : nil
            let (parameters, paramsRange) = try s.parametersAndRange(keep: build)
            guard s.atEnd else { throw s.error("unexpected characters after the address") }
            return (parsed.map { SIPNameAddress(displayName: display, uri: $0, parameters: parameters) },
                    UsualFormGrammar.NameAddress(display: nil, uri: uri, parameters: paramsRange))
        }
    }
}

/// One Contact value: `*` or an address (RFC 3261 §20.10).
public enum SIPContact: Hashable, Sendable, CustomStringConvertible {
    case wildcard
    case address(SIPNameAddress)

    public init(parsing value: String, base: Int = 0) throws(SIPParseError) {
        try self.init(bytes: Array(value.utf8)[...], base: base)
    }

    init(bytes: ArraySlice<UInt8>, base: Int) throws(SIPParseError) {
        if Self.isWildcard(bytes) { self = .wildcard; return }
        self = .address(try SIPNameAddress(bytes: bytes, header: "Contact", base: base))
    }

    /// Throws what parsing would, making nothing (message validation).
    static func check(bytes: ArraySlice<UInt8>, base: Int) throws(SIPParseError) {
        if !isWildcard(bytes) { try SIPNameAddress.check(bytes: bytes, header: "Contact", base: base) }
    }

    static func isWildcard(_ bytes: ArraySlice<UInt8>) -> Bool {
        let t = HeaderValueSplitter.trimmed(bytes)
        return t.count == 1 && t.first == UInt8(ascii: "*")
    }

    public var description: String {
        switch self {
        case .wildcard: return "*"
        case .address(let a): return a.description
        }
    }

    public var address: SIPNameAddress? {
        if case .address(let a) = self { return a }
        return nil
    }
}

/// CSeq (RFC 3261 §20.16): a 32-bit sequence number and a method.
public struct SIPCSeq: Hashable, Sendable, CustomStringConvertible {
    public var number: UInt32
    public var method: SIPMethod

    public init(_ number: UInt32, _ method: SIPMethod) {
        self.number = number
        self.method = method
    }

    public init(parsing value: String) throws(SIPParseError) {
        try self.init(bytes: Array(value.utf8)[...], base: 0)
    }

    init(bytes: ArraySlice<UInt8>, base: Int) throws(SIPParseError) {
        // The usual form in one pass; anything else (faults too) below.
        if let usual = bytes.withUnsafeBufferPointer({ p in UsualFormGrammar.cseq(p).map { SIPCSeq($0.number, SIPMethod(bytes: UnsafeBufferPointer(rebasing: p[$0.method]))) } }) {
            self = usual
            return
        }
        self = try HeaderScanner.scan(bytes, header: "CSeq", base: base) { (s) throws(SIPParseError) -> SIPCSeq in
            s.skipLWS()
            guard let digits = s.run(while: CharClass.isDigit) else { throw s.error("missing sequence number") }
            guard digits.count <= 10, let n = CharClass.number(digits), n <= UInt64(UInt32.max) else {
                throw s.error("sequence number exceeds 2^32-1")
            }
            s.skipLWS()
            guard let m = s.token() else { throw s.error("missing method") }
            s.skipLWS()
            guard s.atEnd else { throw s.error("unexpected characters after the method") }
            return SIPCSeq(UInt32(n), SIPMethod(m))
        }
    }

    public var description: String { "\(number) \(method)" }
}

extension String {
    var trimmingWhitespace: String {
        var u = Substring(self)
        while let f = u.first, f == " " || f == "\t" { u = u.dropFirst() }
        while let l = u.last, l == " " || l == "\t" { u = u.dropLast() }
        return String(u)
    }
}
