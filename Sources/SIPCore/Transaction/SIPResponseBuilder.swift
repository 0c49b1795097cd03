/// Builds responses to requests (RFC 3261 §8.2.6).
public enum SIPResponseBuilder {
    /// Copies Via (all values, in order), From, To (adding a To tag when the
    /// request had none and `toTag` is given), Call-ID and CSeq.
    public static func response(to request: SIPMessage, code: Int, reason: String, toTag: String? = nil) -> SIPMessage {
        response(headers: request.headers, code: code, reason: reason, toTag: toTag)
    }

    /// The same from bare headers, for requests that failed to parse fully
    /// (a 400 needs only what is copied).
    public static func response(headers: SIPHeaders, code: Int, reason: String, toTag: String? = nil) -> SIPMessage {
        var h = SIPHeaders()
        for via in headers.lines(.via) { h.append(.via, via) }
        if let from = headers[.from] { h.append(.from, from) }
        if var to = headers[.to] {
            if code > 100, let toTag, (try? SIPNameAddress(parsing: to, header: "To"))?.tag == nil {
                to += ";tag=\(toTag)"
            }
            h.append(.to, to)
        }
        if let callID = headers[.callID] { h.append(.callID, callID) }
        if let cseq = headers[.cseq] { h.append(.cseq, cseq) }
        return SIPMessage(startLine: .response(SIPStatusLine(code: code, reason: reason)), headers: h)
    }

    /// True when a response can be formed: a Via to copy (responses go back
    /// to the source address, so even an unparseable Via will do) and CSeq.
    /// Missing From/To/Call-ID are simply not copied (RFC 4475 §3.3.1 asks
    /// for a 400).
    public static func canRespond(_ headers: SIPHeaders) -> Bool {
        headers.contains(.via) && headers.contains(.cseq)
    }
}
