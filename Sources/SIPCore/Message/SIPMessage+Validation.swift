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
        func once(_ name: SIPHeaderName, _ n: Int) throws(SIPParseError) {
            if n == 0 { throw fail(.missingHeader, "\(name) header is missing") }
            if n > 1 { throw fail(.duplicateHeader, "\(name) appears \(n) times but allows one value") }
        }
        let counts = headers.counts(.callID, .from, .to, .cseq)
        try once(.callID, counts.0)
        try once(.from, counts.1)
        try once(.to, counts.2)
        try once(.cseq, counts.3)
        if let r = requestLine, r.uri.hasHeaders {
            // RFC 3261 §19.1.1 (table): headers are not allowed in a Request-URI.
            throw fail(.badURI, "Request-URI must not carry headers ('?...')")
        }
        if headers.count(of: .maxForwards) > 1 { throw fail(.duplicateHeader, "Max-Forwards appears more than once") }
        if !headers.contains(.via) { throw fail(.missingHeader, "Via header is missing") }
        // Typed parses straight from the message's bytes (no String per value).
        do throws(SIPParseError) {
            // Checked, not made: validation needs the grammar, not the values.
            try headers.forEachValueBytes(.via) { (v) throws(SIPParseError) in try SIPVia.check(bytes: v, base: v.startIndex) }
            let c = headers.firstValueBytes(.cseq)!
            let cseq = try SIPCSeq(bytes: c, base: c.startIndex)
            if let r = requestLine, cseq.method != r.method {
                throw fail(.cseqMethodMismatch, "CSeq method \(cseq.method) does not match request method \(r.method)")
            }
            let from = headers.firstValueBytes(.from)!, to = headers.firstValueBytes(.to)!
            try SIPNameAddress.check(bytes: from, header: "From", base: from.startIndex)
            try SIPNameAddress.check(bytes: to, header: "To", base: to.startIndex)
            try headers.forEachValueBytes(.contact) { (v) throws(SIPParseError) in try SIPContact.check(bytes: v, base: v.startIndex) }
        } catch {
            var e = error
            e.isRequest = isRequest
            e.partialHeaders = headers
            throw e
        }
        let callID = headers.firstValueBytes(.callID)!
        if callID.isEmpty || callID.contains(where: { $0 <= 0x20 }) {
            throw fail(.badHeaderValue, "Call-ID '\(String(decoding: callID, as: UTF8.self))' is empty or holds whitespace")
        }
        if let mf = headers.firstValueBytes(.maxForwards) {
            let t = HeaderValueSplitter.trimmed(mf)
            guard t.count <= 10, let n = CharClass.number(t), n <= 255 else {
                throw fail(.badHeaderValue, "Max-Forwards '\(String(decoding: mf, as: UTF8.self))' is not a number from 0 to 255")
            }
        }
    }
}
