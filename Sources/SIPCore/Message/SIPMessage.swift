/// The first line of a request (RFC 3261 §7.1).
public struct SIPRequestLine: Hashable, Sendable {
    public var method: SIPMethod
    public var uri: SIPURI
    public var version: String

    public init(method: SIPMethod, uri: SIPURI, version: String = "SIP/2.0") {
        self.method = method
        self.uri = uri
        self.version = version
    }
}

/// The first line of a response (RFC 3261 §7.2).
public struct SIPStatusLine: Hashable, Sendable {
    public var version: String
    public var code: Int
    public var reason: String

    public init(code: Int, reason: String, version: String = "SIP/2.0") {
        self.version = version
        self.code = code
        self.reason = reason
    }
}

/// A SIP request or response as a value: start line, ordered header fields
/// and body bytes. `SIPMessage.parse(serialize(m)) == m` for every message
/// the parser produced.
public struct SIPMessage: Hashable, Sendable {
    public enum StartLine: Hashable, Sendable {
        // Boxed: a request line holds a whole URI, and keeping it inline would make
        // every message (responses too) large to move around.
        indirect case request(SIPRequestLine)
        case response(SIPStatusLine)
    }

    public var startLine: StartLine
    public var headers: SIPHeaders
    public var body: [UInt8]

    public init(startLine: StartLine, headers: SIPHeaders = SIPHeaders(), body: [UInt8] = []) {
        self.startLine = startLine
        self.headers = headers
        self.body = body
    }

    public static func request(_ method: SIPMethod, uri: SIPURI, headers: SIPHeaders = SIPHeaders(), body: [UInt8] = []) -> SIPMessage {
        SIPMessage(startLine: .request(SIPRequestLine(method: method, uri: uri)), headers: headers, body: body)
    }

    public var isRequest: Bool {
        if case .request = startLine { return true }
        return false
    }

    public var requestLine: SIPRequestLine? {
        if case .request(let r) = startLine { return r }
        return nil
    }

    public var statusLine: SIPStatusLine? {
        if case .response(let s) = startLine { return s }
        return nil
    }

    /// The request method, or for a response the method named in CSeq.
    public var method: SIPMethod? {
        if let r = requestLine { return r.method }
        return try? cseq.method
    }

    public var statusCode: Int? { statusLine?.code }

    public var callID: String? { headers[.callID] }

    /// Equality ignores Content-Length fields: they are framing derived from
    /// the body (which is compared), and the serializer always writes one.
    public static func == (a: SIPMessage, b: SIPMessage) -> Bool {
        guard a.startLine == b.startLine, a.body == b.body else { return false }
        var ha = a.headers, hb = b.headers
        ha.remove(.contentLength)
        hb.remove(.contentLength)
        return ha == hb
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(startLine)
        hasher.combine(body)
        var h = headers
        h.remove(.contentLength)
        hasher.combine(h)
    }
}
