extension SIPMessage {
    /// Checks what RFC 3261 requires of a well-formed message beyond its
    /// framing: the mandatory single-valued headers, CSeq against the method,
    /// and the syntax of Via, From, To, Contact, Call-ID, Max-Forwards.
    /// Errors carry the partial headers so that a UAS can answer 400.
    ///
    /// One pass over the fields reads the buffer in place (every request
    /// a UAS receives is validated): the usual forms are checked in one
    /// pass each, anything else by the full grammar, which names the
    /// fault. Faults are reported in a fixed order, whatever the order of
    /// the fields: counts, Request-URI, Via, CSeq, From, To, Contact,
    /// Call-ID, Max-Forwards.
    public func validate() throws(SIPParseError) {
        let method = requestLine?.method
        var n = (callID: 0, from: 0, to: 0, cseq: 0, maxForwards: 0, via: 0)
        var fault: (slot: Int, error: SIPParseError)?
        headers.forEachField { id, p, r in
            let value = UnsafeBufferPointer(rebasing: p[r])
            var slot = 0
            switch id {
            case SIPHeaderName.via.id:
                n.via += 1
                if !HeaderValueSplitter.hasComma(value), UsualFormGrammar.via(value) != nil { return }
                slot = Fault.via
            case SIPHeaderName.cseq.id:
                n.cseq += 1
                if let c = UsualFormGrammar.cseq(value), method?.isSpelled(by: UnsafeBufferPointer(rebasing: p[c.method])) ?? true { return }
                slot = Fault.cseq
            case SIPHeaderName.from.id:
                n.from += 1
                if UsualFormGrammar.nameAddress(value) != nil { return }
                slot = Fault.from
            case SIPHeaderName.to.id:
                n.to += 1
                if UsualFormGrammar.nameAddress(value) != nil { return }
                slot = Fault.to
            case SIPHeaderName.contact.id:
                if !HeaderValueSplitter.hasComma(value), UsualFormGrammar.nameAddress(value) != nil { return }
                slot = Fault.contact
            case SIPHeaderName.callID.id:
                n.callID += 1
                if n.callID > 1 || (!value.isEmpty && !value.contains(where: { $0 <= 0x20 })) { return }
                slot = Fault.callID
            case SIPHeaderName.maxForwards.id:
                n.maxForwards += 1
                let t = HeaderValueSplitter.trimmed(headers.bytes(in: r))
                if n.maxForwards > 1 || (t.count <= 10 && (CharClass.number(t).map { $0 <= 255 } ?? false)) { return }
                slot = Fault.maxForwards
            default:
                return
            }
            if let fault, fault.slot <= slot { return }
            if let e = Self.fault(slot, in: headers.bytes(in: r), method: method) { fault = (slot, e) }
        }
        var e: SIPParseError
        func once(_ name: SIPHeaderName, _ count: Int) -> SIPParseError? {
            if count == 0 { return SIPParseError(.missingHeader, "\(name) header is missing", offset: 0) }
            if count > 1 { return SIPParseError(.duplicateHeader, "\(name) appears \(count) times but allows one value", offset: 0) }
            return nil
        }
        if let c = once(.callID, n.callID) ?? once(.from, n.from) ?? once(.to, n.to) ?? once(.cseq, n.cseq) {
            e = c
        } else if let r = requestLine, r.uri.hasHeaders {
            // RFC 3261 §19.1.1 (table): headers are not allowed in a Request-URI.
            e = SIPParseError(.badURI, "Request-URI must not carry headers ('?...')", offset: 0)
        } else if n.maxForwards > 1 {
            e = SIPParseError(.duplicateHeader, "Max-Forwards appears more than once", offset: 0)
        } else if n.via == 0 {
            e = SIPParseError(.missingHeader, "Via header is missing", offset: 0)
        } else if let f = fault {
            e = f.error
        } else {
            return
        }
        e.isRequest = isRequest
        e.partialHeaders = headers
        throw e
    }

    /// The order faults are reported in (lower first).
    private enum Fault {
        static let via = 1, cseq = 2, from = 3, to = 4, contact = 5, callID = 6, maxForwards = 7
    }

    /// The fault the full grammar finds in a field the usual form did not
    /// take (nil when it is well-formed after all).
    private static func fault(_ slot: Int, in v: ArraySlice<UInt8>, method: SIPMethod?) -> SIPParseError? {
        do throws(SIPParseError) {
            switch slot {
            case Fault.via:
                try HeaderValueSplitter.forEachPart(v) { (part) throws(SIPParseError) in try SIPVia.check(bytes: part, base: part.startIndex) }
            case Fault.cseq:
                let cseq = try SIPCSeq(bytes: v, base: v.startIndex)
                if let method, cseq.method != method {
                    return SIPParseError(.cseqMethodMismatch, "CSeq method \(cseq.method) does not match request method \(method)", offset: 0)
                }
            case Fault.from, Fault.to:
                try SIPNameAddress.check(bytes: v, header: slot == Fault.from ? "From" : "To", base: v.startIndex)
            case Fault.contact:
                try HeaderValueSplitter.forEachPart(v) { (part) throws(SIPParseError) in try SIPContact.check(bytes: part, base: part.startIndex) }
            case Fault.callID:
                return SIPParseError(.badHeaderValue, "Call-ID '\(String(decoding: v, as: UTF8.self))' is empty or holds whitespace", offset: 0)
            default:
                return SIPParseError(.badHeaderValue, "Max-Forwards '\(String(decoding: v, as: UTF8.self))' is not a number from 0 to 255", offset: 0)
            }
        } catch {
            return error
        }
        return nil
    }
}
