extension SIPMessage {
    /// Checks what RFC 3261 requires of a well-formed message beyond its
    /// framing: the mandatory single-valued headers, CSeq against the method,
    /// and the syntax of Via, From, To, Contact, Call-ID, Max-Forwards.
    /// Errors carry the partial headers so that a UAS can answer 400.
    public func validate() throws(SIPParseError) {
        let isRequest = self.isRequest
        func fail(_ code: SIPParseError.Code, _ why: String) -> SIPParseError {
            SIPParseError(code, why, offset: 0, isRequest: isRequest, partialHeaders: headers)
        }
        for name in [SIPHeaderName.callID, .from, .to, .cseq] {
            let n = headers.count(of: name)
            if n == 0 { throw fail(.missingHeader, "\(name) header is missing") }
            if n > 1 { throw fail(.duplicateHeader, "\(name) appears \(n) times but allows one value") }
        }
        if let r = requestLine, !r.uri.headers.isEmpty {
            // RFC 3261 §19.1.1 (table): headers are not allowed in a Request-URI.
            throw fail(.badURI, "Request-URI must not carry headers ('?...')")
        }
        if headers.count(of: .maxForwards) > 1 { throw fail(.duplicateHeader, "Max-Forwards appears more than once") }
        let viaValues = headers.values(.via)
        if viaValues.isEmpty { throw fail(.missingHeader, "Via header is missing") }
        do throws(SIPParseError) {
            for v in viaValues { _ = try SIPVia(parsing: v) }
            let cseq = try SIPCSeq(parsing: headers[.cseq]!)
            if let r = requestLine, cseq.method != r.method {
                throw fail(.cseqMethodMismatch, "CSeq method \(cseq.method) does not match request method \(r.method)")
            }
            _ = try SIPNameAddress(parsing: headers[.from]!, header: "From")
            _ = try SIPNameAddress(parsing: headers[.to]!, header: "To")
            for c in headers.values(.contact) { _ = try SIPContact(parsing: c) }
        } catch {
            var e = error
            e.isRequest = isRequest
            e.partialHeaders = headers
            throw e
        }
        let callID = headers[.callID]!
        if callID.isEmpty || callID.utf8.contains(where: { $0 <= 0x20 }) {
            throw fail(.badHeaderValue, "Call-ID '\(callID)' is empty or holds whitespace")
        }
        if let mf = headers[.maxForwards] {
            let t = mf.trimmingWhitespace
            guard !t.isEmpty, t.utf8.count <= 10, t.utf8.allSatisfy(CharClass.isDigit), let n = Int(t), n <= 255 else {
                throw fail(.badHeaderValue, "Max-Forwards '\(mf)' is not a number from 0 to 255")
            }
        }
    }
}
