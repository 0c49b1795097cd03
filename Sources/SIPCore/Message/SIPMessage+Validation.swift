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
        _ = try keys()
    }

    /// Validates the message as ``validate()`` does and returns, from the
    /// same pass, the fields the transaction, dialog and registration
    /// layers read (``SIPMessageKeys``).
    public func keys() throws(SIPParseError) -> SIPMessageKeys {
        // What the checks need of the start line, read once (a response's
        // status line is not copied at all).
        let method: SIPMethod?
        let uriHasHeaders: Bool
        switch startLine {
        case .request(let r):
            method = r.method
            uriHasHeaders = r.uri.hasHeaders
        case .response:
            method = nil
            uriHasHeaders = false
        }
        var k = SIPMessageKeys()
        try Self.keys(of: headers, method: method, uriHasHeaders: uriHasHeaders, isRequest: isRequest, into: &k)
        return k
    }

    /// `keys()` on the message's header fields, borrowed: read through
    /// `self`, they were copied (both arrays retained and released) for
    /// the pass. The keys are written into `k`, the caller's result, which
    /// saves copying the whole struct out twice on the way back.
    @inline(__always)
    private static func keys(of headers: borrowing SIPHeaders, method: SIPMethod?, uriHasHeaders: Bool,
                             isRequest: Bool, into k: inout SIPMessageKeys) throws(SIPParseError) {
        var n = (callID: 0, from: 0, to: 0, cseq: 0, maxForwards: 0, viaLines: 0)
        var fault: (slot: Int, error: SIPParseError)?
        headers.forEachField { headers, id, p, r in
            let value = UnsafeBufferPointer(rebasing: p[r])
            let o = r.lowerBound
            let slot: Int
            switch id {
            case SIPHeaderName.via.id:
                n.viaLines += 1
                // A list on one line (`a, b`) never passes a one-pass form:
                // a comma outside quotes stops the parameters short of the
                // end, so the full grammar splits it; no search for commas.
                if let v = UsualFormGrammar.via(value, want: .branch) {
                    if k.viaCount == 0 { k.topVia = SIPMessageKeys.Via(v, at: o, in: p) }
                    k.viaCount += 1
                    return
                }
                slot = Fault.via
            case SIPHeaderName.cseq.id:
                n.cseq += 1
                if let c = UsualFormGrammar.cseq(value), method?.isSpelled(by: UnsafeBufferPointer(rebasing: value[c.method])) ?? true {
                    k.cseq = SIPMessageKeys.CSeq(number: c.number, method: SIPByteRange(c.method, at: o))
                    return
                }
                slot = Fault.cseq
            case SIPHeaderName.from.id:
                n.from += 1
                if let a = UsualFormGrammar.nameAddress(value, want: .tag) { k.from = SIPMessageKeys.Address(a, at: o, in: p); return }
                slot = Fault.from
            case SIPHeaderName.to.id:
                n.to += 1
                if let a = UsualFormGrammar.nameAddress(value, want: .tag) { k.to = SIPMessageKeys.Address(a, at: o, in: p); return }
                slot = Fault.to
            case SIPHeaderName.contact.id:
                if let a = UsualFormGrammar.nameAddress(value, want: .expires) {
                    k.addContact(a, at: o, in: p)
                    return
                }
                slot = Fault.contact
            case SIPHeaderName.callID.id:
                n.callID += 1
                if n.callID > 1 { return }
                if !value.isEmpty && !WordScan.hasByte(below: 0x21, in: value) { k.callID = SIPByteRange(r); return }
                slot = Fault.callID
            case SIPHeaderName.maxForwards.id:
                n.maxForwards += 1
                let t = HeaderValueSplitter.trimmed(headers.bytes(in: r))
                if n.maxForwards > 1 { return }
                if t.count <= 10, let mf = CharClass.number(t), mf <= 255 { k.maxForwards = UInt8(mf); return }
                slot = Fault.maxForwards
            case SIPHeaderName.expires.id:
                if k.expires == nil { k.expires = SIPMessageKeys.number32(p, SIPByteRange(HeaderValueSplitter.trimmed(headers.bytes(in: r)).indices)) }
                return
            default:
                return
            }
            if let fault, fault.slot <= slot { return }
            do throws(SIPParseError) {
                try Self.readInFull(slot, headers.bytes(in: r), p, method: method, into: &k)
            } catch {
                fault = (slot, error)
            }
        }
        // Nearly every message: each single header once, no fault.
        if n.callID == 1, n.from == 1, n.to == 1, n.cseq == 1, n.maxForwards <= 1, n.viaLines > 0, fault == nil, !uriHasHeaders {
            return
        }
        var e: SIPParseError
        func once(_ name: SIPHeaderName, _ count: Int) -> SIPParseError? {
            if count == 0 { return SIPParseError(.missingHeader, "\(name) header is missing", offset: 0) }
            if count > 1 { return SIPParseError(.duplicateHeader, "\(name) appears \(count) times but allows one value", offset: 0) }
            return nil
        }
        if let c = once(.callID, n.callID) ?? once(.from, n.from) ?? once(.to, n.to) ?? once(.cseq, n.cseq) {
            e = c
        } else if uriHasHeaders {
            // RFC 3261 §19.1.1 (table): headers are not allowed in a Request-URI.
            e = SIPParseError(.badURI, "Request-URI must not carry headers ('?...')", offset: 0)
        } else if n.maxForwards > 1 {
            e = SIPParseError(.duplicateHeader, "Max-Forwards appears more than once", offset: 0)
        } else if n.viaLines == 0 {
            e = SIPParseError(.missingHeader, "Via header is missing", offset: 0)
        } else if let f = fault {
            e = f.error
        } else {
            return
        }
        e.isRequest = isRequest
        e.partialHeaders = copy headers
        throw e
    }

    /// The order faults are reported in (lower first).
    private enum Fault {
        static let via = 1, cseq = 2, from = 3, to = 4, contact = 5, callID = 6, maxForwards = 7
    }

    /// The full grammar, for a field the one-pass forms did not take: the
    /// keys of the other forms (LWS, IPv6, lists, `*`), or the fault, named.
    /// `v` is the field's value as a slice of the message (its indices are
    /// message offsets); `p` is the whole message.
    private static func readInFull(_ slot: Int, _ v: ArraySlice<UInt8>, _ p: UnsafeBufferPointer<UInt8>, method: SIPMethod?,
                                   into k: inout SIPMessageKeys) throws(SIPParseError) {
        switch slot {
        case Fault.via:
            try HeaderValueSplitter.forEachPart(v) { (part) throws(SIPParseError) in
                var via = part.withUnsafeBufferPointer { UsualFormGrammar.via($0, want: .branch) }
                if via == nil { via = try SIPVia.partsInFull(part, base: part.startIndex, build: false).parts }
                guard let via else { return }
                if k.viaCount == 0 { k.topVia = SIPMessageKeys.Via(via, at: part.startIndex, in: p) }
                k.viaCount += 1
            }
        case Fault.cseq:
            let cseq = try SIPCSeq(bytes: v, base: v.startIndex)
            if let method, cseq.method != method {
                throw SIPParseError(.cseqMethodMismatch, "CSeq method \(cseq.method) does not match request method \(method)", offset: 0)
            }
            // The method follows the number and any LWS, to the value's end.
            let t = HeaderValueSplitter.trimmed(v)
            var start = t.startIndex
            while start < t.endIndex, CharClass.isDigit(t[start]) { start += 1 }
            while start < t.endIndex, t[start] == 0x20 || t[start] == 0x09 || t[start] == 0x0D || t[start] == 0x0A { start += 1 }
            k.cseq = SIPMessageKeys.CSeq(number: cseq.number, method: SIPByteRange(start..<t.endIndex))
        case Fault.from, Fault.to:
            let a = try SIPNameAddress.partsInFull(v, header: slot == Fault.from ? "From" : "To", base: v.startIndex, build: false).parts
            if slot == Fault.from { k.from = SIPMessageKeys.Address(a, at: v.startIndex, in: p) } else { k.to = SIPMessageKeys.Address(a, at: v.startIndex, in: p) }
        case Fault.contact:
            try HeaderValueSplitter.forEachPart(v) { (part) throws(SIPParseError) in
                if SIPContact.isWildcard(part) {
                    k.contactCount += 1
                    return
                }
                var a = part.withUnsafeBufferPointer { UsualFormGrammar.nameAddress($0, want: .expires) }
                if a == nil { a = try SIPNameAddress.partsInFull(part, header: "Contact", base: part.startIndex, build: false).parts }
                guard let a else { return }
                k.addContact(a, at: part.startIndex, in: p)
            }
        case Fault.callID:
            throw SIPParseError(.badHeaderValue, "Call-ID '\(String(decoding: v, as: UTF8.self))' is empty or holds whitespace", offset: 0)
        default:
            throw SIPParseError(.badHeaderValue, "Max-Forwards '\(String(decoding: v, as: UTF8.self))' is not a number from 0 to 255", offset: 0)
        }
    }
}

extension SIPMessageKeys {
    /// Counts a Contact address; the first is kept, with its `expires`.
    fileprivate mutating func addContact(_ a: UsualFormGrammar.NameAddress, at o: Int, in p: UnsafeBufferPointer<UInt8>) {
        if contactCount == 0 {
            let c = Address(contact: a, at: o)
            contact = c
            contactExpires = Self.parameter("expires", wanted: a.wanted, at: o, in: c.parameters, p).flatMap { Self.number32(p, $0) }
        }
        contactCount += 1
    }
}
