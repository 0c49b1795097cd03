/// Typed views of the common header fields, parsed on demand.
extension SIPMessage {
    public var vias: [SIPVia] {
        get throws(SIPParseError) {
            var out: [SIPVia] = []
            for v in headers.values(.via) { out.append(try SIPVia(parsing: v)) }
            return out
        }
    }

    public var topVia: SIPVia? {
        guard let first = headers.values(.via).first else { return nil }
        return try? SIPVia(parsing: first)
    }

    public var cseq: SIPCSeq {
        get throws(SIPParseError) {
            guard let v = headers[.cseq] else { throw SIPParseError(.missingHeader, "CSeq is missing", offset: 0) }
            return try SIPCSeq(parsing: v)
        }
    }

    public var from: SIPNameAddress? { headers[.from].flatMap { try? SIPNameAddress(parsing: $0, header: "From") } }
    public var to: SIPNameAddress? { headers[.to].flatMap { try? SIPNameAddress(parsing: $0, header: "To") } }

    public var contacts: [SIPContact] {
        headers.values(.contact).compactMap { try? SIPContact(parsing: $0) }
    }

    /// Expires header value; values beyond 2^32-1 are treated as absent.
    public var expires: UInt32? { headers[.expires].flatMap { UInt32($0.trimmingWhitespace) } }

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
