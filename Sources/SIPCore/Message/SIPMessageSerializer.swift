extension SIPMessage {
    /// The wire form: start line, one line per header field (canonical
    /// names), and a Content-Length that always matches the body (any
    /// Content-Length field is rewritten in place, or added).
    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512 + body.count)
        func put(_ s: String) { out.append(contentsOf: s.utf8) }
        switch startLine {
        case .request(let r):
            put(r.method.rawValue); put(" "); put(r.uri.description); put(" "); put(r.version)
        case .response(let s):
            put(s.version); put(" "); put(String(s.code)); put(" "); put(s.reason)
        }
        put("\r\n")
        let wroteLength = headers.write(into: &out, lengthValue: String(body.count))
        if !wroteLength { put("Content-Length: \(body.count)\r\n") }
        put("\r\n")
        out.append(contentsOf: body)
        return out
    }

    /// Serialised text, for logs and tests.
    public var text: String { String(decoding: serialize(), as: UTF8.self) }
}
