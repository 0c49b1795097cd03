/// Typed views of the common header fields, parsed on demand.
extension SIPMessage {
    public var vias: [SIPVia] {
        get throws(SIPParseError) {
            var out: [SIPVia] = []
            try headers.forEachValueBytes(.via) { (v) throws(SIPParseError) in out.append(try SIPVia(bytes: v, base: v.startIndex)) }
            return out
        }
    }

    public var topVia: SIPVia? {
        guard let line = headers.firstValueBytes(.via) else { return nil }
        var first: ArraySlice<UInt8>?
        HeaderValueSplitter.forEachPart(line) { if first == nil { first = $0 } }
        return first.flatMap { try? SIPVia(bytes: $0, base: $0.startIndex) }
    }

    public var cseq: SIPCSeq {
        get throws(SIPParseError) {
            guard let v = headers.firstValueBytes(.cseq) else { throw SIPParseError(.missingHeader, "CSeq is missing", offset: 0) }
            return try SIPCSeq(bytes: v, base: v.startIndex)
        }
    }

    public var from: SIPNameAddress? { headers.firstValueBytes(.from).flatMap { try? SIPNameAddress(bytes: $0, header: "From", base: $0.startIndex) } }
    public var to: SIPNameAddress? { headers.firstValueBytes(.to).flatMap { try? SIPNameAddress(bytes: $0, header: "To", base: $0.startIndex) } }

    public var contacts: [SIPContact] {
        var out: [SIPContact] = []
        headers.forEachValueBytes(.contact) { v in if let c = try? SIPContact(bytes: v, base: v.startIndex) { out.append(c) } }
        return out
    }

    /// Expires header value; values beyond 2^32-1 are treated as absent.
    public var expires: UInt32? {
        guard let v = headers.firstValueBytes(.expires), let n = CharClass.number(HeaderValueSplitter.trimmed(v)), n <= UInt64(UInt32.max) else { return nil }
        return UInt32(n)
    }

    public var maxForwards: Int? { headers[.maxForwards].flatMap { Int($0.trimmingWhitespace) } }

    /// Retry-After seconds (RFC 3261 §20.33), ignoring comment and params.
    public var retryAfter: UInt32? {
        guard let v = headers[.retryAfter] else { return nil }
        let digits = v.utf8.prefix { CharClass.isDigit($0) }
        guard !digits.isEmpty, digits.count <= 10 else { return nil }
        return UInt32(String(decoding: digits, as: UTF8.self))
    }

    /// Option tags of a list-valued header such as Require or Supported.
    public func optionTags(_ name: SIPHeaderName) -> [String] {
        headers.values(name).map { $0.trimmingWhitespace }.filter { !$0.isEmpty }
    }
}
