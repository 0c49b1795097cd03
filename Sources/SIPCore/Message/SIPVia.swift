/// One Via value (RFC 3261 §20.42, RFC 3581 rport).
public struct SIPVia: Hashable, Sendable, CustomStringConvertible {
    /// Transport token, upper-cased: UDP, TCP, TLS, SCTP, WS, or any extension.
    public var transport: String
    /// sent-by host; IPv6 without brackets.
    public var host: String
    public var port: UInt16?
    public var parameters: SIPParameters

    public init(transport: String, host: String, port: UInt16? = nil, parameters: SIPParameters = SIPParameters()) {
        self.init(upperCasedTransport: transport.uppercased(), host: host, port: port, parameters: parameters)
    }

    /// The parser's: `transport` is already upper-case.
    private init(upperCasedTransport transport: String, host: String, port: UInt16?, parameters: SIPParameters) {
        self.transport = transport
        self.host = host
        self.port = port
        self.parameters = parameters
    }

    /// RFC 3261 §8.1.1.7: branches of compliant elements start with this.
    public static let magicCookie = "z9hG4bK"

    public var branch: String? { parameters["branch"] ?? nil }
    public var received: String? {
        (parameters["received"] ?? nil).map { $0.hasPrefix("[") && $0.hasSuffix("]") ? String($0.dropFirst().dropLast()) : $0 }
    }
    /// `.some(nil)` when `;rport` is present without a value.
    public var rport: UInt16?? {
        guard let v = parameters["rport"] else { return nil }
        return .some(v.flatMap { UInt16($0) })
    }
    public var hasRFC3261Branch: Bool {
        guard let b = branch else { return false }
        return b.hasPrefix(SIPVia.magicCookie) && b.utf8.count > SIPVia.magicCookie.utf8.count
    }

    public var sentBy: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return port.map { "\(h):\($0)" } ?? h
    }

    public var description: String { "SIP/2.0/\(transport) \(sentBy)" + HeaderScanner.serialize(parameters) }

    public init(parsing value: String, base: Int = 0) throws(SIPParseError) {
        try self.init(bytes: Array(value.utf8)[...], base: base)
    }

    /// Parses a value held as bytes (a slice of the message: no copy).
    init(bytes: ArraySlice<UInt8>, base: Int) throws(SIPParseError) {
        self = try Self.parse(bytes, base: base, build: true)!
    }

    /// Throws what parsing would, making nothing (message validation).
    static func check(bytes: ArraySlice<UInt8>, base: Int) throws(SIPParseError) {
        _ = try parse(bytes, base: base, build: false)
    }

    private static func parse(_ bytes: ArraySlice<UInt8>, base: Int, build: Bool) throws(SIPParseError) -> SIPVia? {
        // The usual form in one pass; anything else (faults too) below.
        let usual = bytes.withUnsafeBufferPointer { p -> (UsualFormGrammar.Via, String, String)? in
            guard let v = UsualFormGrammar.via(p) else { return nil }
            guard build else { return (v, "", "") }
            let transport = Self.transportName(UnsafeBufferPointer(rebasing: p[v.transport]))
            return (v, transport, String(decoding: UnsafeBufferPointer(rebasing: p[v.host]), as: UTF8.self))
        }
        if let (v, transport, host) = usual {
            guard build else { return nil }
            let o = bytes.startIndex
            return SIPVia(upperCasedTransport: transport, host: host, port: v.port,
                          parameters: v.parameters.map { SIPParameters(checkedHeaderBytes: bytes[(o + $0.lowerBound)..<(o + $0.upperBound)]) } ?? SIPParameters())
        }
        return try parseInFull(bytes, base: base, build: build)
    }

    /// The whole grammar (LWS anywhere, IPv6, faults named), for what the
    /// one-pass form does not take.
    static func parseInFull(_ bytes: ArraySlice<UInt8>, base: Int, build: Bool) throws(SIPParseError) -> SIPVia? {
        try partsInFull(bytes, base: base, build: build).value
    }

    /// `parseInFull`, with where the parts are in `bytes` (from 0), as the
    /// one-pass form gives them (the host as written: an IPv6 reference
    /// with its brackets), for ``SIPMessageKeys``.
    static func partsInFull(_ bytes: ArraySlice<UInt8>, base: Int, build: Bool) throws(SIPParseError) -> (value: SIPVia?, parts: UsualFormGrammar.Via) {
        try HeaderScanner.scan(bytes, header: "Via", base: base) { (s) throws(SIPParseError) -> (SIPVia?, UsualFormGrammar.Via) in
            s.skipLWS()
            guard let proto = s.run(while: CharClass.isToken), CharClass.equalsIgnoringCase(proto, "sip".utf8) else { throw s.error("sent-protocol must start with SIP") }
            s.skipLWS(); try s.expect(UInt8(ascii: "/"), "'/'"); s.skipLWS()
            guard s.run(while: CharClass.isToken) != nil else { throw s.error("missing protocol version") }
            s.skipLWS(); try s.expect(UInt8(ascii: "/"), "'/'"); s.skipLWS()
            guard let transport = s.run(while: CharClass.isToken) else { throw s.error("missing transport") }
            s.skipLWS()
            let (host, port, hostRange) = try HostPort.parse(&s, build: build)
            let (params, paramsRange) = try s.parametersAndRange(keep: build)
            let parts = UsualFormGrammar.Via(transport: transport.startIndex..<transport.endIndex, host: hostRange, port: port, parameters: paramsRange)
            guard s.atEnd else { throw s.error("unexpected characters after Via parameters") }
            guard build else { return (nil, parts) }
            return (SIPVia(upperCasedTransport: Self.transportName(UnsafeBufferPointer(rebasing: transport)), host: host, port: port, parameters: params), parts)
        }
    }

    /// The transport token upper-cased; the usual ones without making a String.
    private static func transportName(_ t: UnsafeBufferPointer<UInt8>) -> String {
        switch t.count {
        case 3 where CharClass.equalsIgnoringCase(t, "UDP".utf8): return "UDP"
        case 3 where CharClass.equalsIgnoringCase(t, "TCP".utf8): return "TCP"
        case 3 where CharClass.equalsIgnoringCase(t, "TLS".utf8): return "TLS"
        case 2 where CharClass.equalsIgnoringCase(t, "WS".utf8): return "WS"
        case 3 where CharClass.equalsIgnoringCase(t, "WSS".utf8): return "WSS"
        case 4 where CharClass.equalsIgnoringCase(t, "SCTP".utf8): return "SCTP"
        default: break
        }
        return String(decoding: t, as: UTF8.self).uppercased()
    }
}

/// `host [":" port]` as in sent-by and hostport (RFC 3261 §25.1).
enum HostPort {
    /// `build` false: the host is checked, not made ("" is returned). The
    /// range is the host as written (an IPv6 reference with its brackets).
    static func parse(_ s: inout HeaderScanner, build: Bool = true) throws(SIPParseError) -> (String, UInt16?, Range<Int>) {
        var host: String
        let hostStart = s.pos
        if s.consume(UInt8(ascii: "[")) {
            guard let lit = s.run(while: { $0 != UInt8(ascii: "]") }), s.consume(UInt8(ascii: "]")),
                  let n = IPAddressText.normalizeIPv6Reference(s.string(lit)) else {
                throw s.error("bad IPv6 reference")
            }
            host = n
        } else {
            guard let h = s.run(while: CharClass.isHostChar) else {
                throw s.error("missing host")
            }
            host = build ? s.string(h) : ""
        }
        let hostRange = hostStart..<s.pos
        var port: UInt16?
        s.skipLWS()
        if s.consume(UInt8(ascii: ":")) {
            s.skipLWS()
            guard let digits = s.run(while: CharClass.isDigit), digits.count <= 5,
                  let p = CharClass.number(digits), p <= 65535 else { throw s.error("bad port") }
            port = UInt16(p)
        }
        if build, host.isEmpty { throw s.error("missing host") }
        return (host, port, hostRange)
    }
}
