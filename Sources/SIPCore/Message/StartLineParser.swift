/// Parses request and status lines (RFC 3261 §7.1, §7.2). Exactly one SP
/// separates the elements; anything else is malformed (RFC 4475 §3.1.2.9/10).
enum StartLineParser {
    /// `b` is the line, at offset `base` of `storage` (the message bytes,
    /// which a plain Request-URI keeps a slice of).
    static func parse(_ b: UnsafeBufferPointer<UInt8>, base: Int, storage: [UInt8]) throws(SIPParseError) -> SIPMessage.StartLine {
        if b.count >= 4, b[0] == 0x53, b[1] == 0x49, b[2] == 0x50, b[3] == 0x2F { // "SIP/"
            return .response(try parseStatusLine(b, base: base))
        }
        return .request(try parseRequestLine(b, base: base, storage: storage))
    }

    private static func parseRequestLine(_ b: UnsafeBufferPointer<UInt8>, base: Int, storage: [UInt8]) throws(SIPParseError) -> SIPRequestLine {
        guard let sp1 = b.firstIndex(of: 0x20) else {
            throw SIPParseError(.badStartLine, "request line has no SP after the method", offset: base, isRequest: true)
        }
        guard sp1 > 0 else { throw SIPParseError(.badStartLine, "request line starts with SP", offset: base, isRequest: true) }
        for i in 0..<sp1 where !CharClass.isToken(b[i]) {
            throw SIPParseError(.badStartLine, "invalid character 0x\(String(b[i], radix: 16)) in method", offset: base + i, isRequest: true)
        }
        guard let sp2 = b[(sp1 + 1)...].firstIndex(of: 0x20) else {
            throw SIPParseError(.badStartLine, "request line has no SIP-Version", offset: base + b.count, isRequest: true)
        }
        guard sp2 > sp1 + 1 else {
            throw SIPParseError(.badStartLine, "more than one SP between method and Request-URI", offset: base + sp2, isRequest: true)
        }
        if let extra = b[(sp2 + 1)...].firstIndex(of: 0x20) {
            throw SIPParseError(.badStartLine, "unexpected SP in request line (Request-URI with whitespace, or trailing SP)", offset: base + extra, isRequest: true)
        }
        let versionBytes = UnsafeBufferPointer(rebasing: b[(sp2 + 1)...])
        let version = try parseVersion(versionBytes, base: base + sp2 + 1, isRequest: true)
        let method = SIPMethod(bytes: UnsafeBufferPointer(rebasing: b[0..<sp1]))
        let uriBytes = storage[(base + sp1 + 1)..<(base + sp2)]
        // The usual sip: URI is checked in one pass and made into components
        // only when read, like the URIs of From and To.
        if URIParser.isPlainSIP(UnsafeBufferPointer(rebasing: b[(sp1 + 1)..<sp2])) {
            return SIPRequestLine(method: method, uri: SIPURI(checkedBytes: uriBytes), version: version)
        }
        let uri: SIPURI
        do {
            uri = try URIParser.parse(uriBytes, base: base + sp1 + 1)
        } catch {
            var e = error
            e.isRequest = true
            e.reason = "Request-URI: " + e.reason
            throw e
        }
        return SIPRequestLine(method: method, uri: uri, version: version)
    }

    private static func parseStatusLine(_ b: UnsafeBufferPointer<UInt8>, base: Int) throws(SIPParseError) -> SIPStatusLine {
        let sp1: Int
        let version: String
        if b.count > 8, CharClass.spells("SIP/2.0 ", UnsafeBufferPointer(rebasing: b[0..<8])) {
            // Nearly every status line: one compare for the version and its space.
            sp1 = 7
            version = "SIP/2.0"
        } else {
            guard let sp = b.firstIndex(of: 0x20) else {
                throw SIPParseError(.badStartLine, "status line has no status code", offset: base + b.count)
            }
            sp1 = sp
            version = try parseVersion(UnsafeBufferPointer(rebasing: b[0..<sp1]), base: base, isRequest: false)
        }
        var i = sp1 + 1
        var code = 0
        while i < b.count, CharClass.isDigit(b[i]), i - sp1 <= 3 {
            code = code * 10 + Int(b[i] - 0x30)
            i += 1
        }
        guard i - sp1 - 1 == 3, i == b.count || b[i] == 0x20 else {
            throw SIPParseError(.badStatusCode, "status code is not three digits", offset: base + sp1 + 1)
        }
        guard (100...699).contains(code) else {
            throw SIPParseError(.badStatusCode, "status code \(code) is outside 100-699", offset: base + sp1 + 1)
        }
        // RFC 3261 requires the SP before the reason; RFC 4475 §3.1.1.13 shows an empty reason.
        let reasonBytes = i < b.count ? UnsafeBufferPointer(rebasing: b[(i + 1)...]) : UnsafeBufferPointer(rebasing: b[i...])
        if let usual = usualReason(code), CharClass.spells(usual.bytes, reasonBytes) {
            return SIPStatusLine(code: code, reason: usual.text, version: version)
        }
        guard let reason = SIPMessageParser.makeString(reasonBytes, 0..<reasonBytes.count) else {
            throw SIPParseError(.badStartLine, "reason phrase is not valid UTF-8", offset: base + i)
        }
        return SIPStatusLine(code: code, reason: reason, version: version)
    }

    /// RFC 3261's reason phrases for the responses a UA sees in every call
    /// and registration: a received phrase that is one of them becomes the
    /// literal (no String made or checked per response).
    private static func usualReason(_ code: Int) -> (bytes: StaticString, text: String)? {
        switch code {
        case 100: return ("Trying", "Trying")
        case 180: return ("Ringing", "Ringing")
        case 183: return ("Session Progress", "Session Progress")
        case 200: return ("OK", "OK")
        case 202: return ("Accepted", "Accepted")
        case 401: return ("Unauthorized", "Unauthorized")
        case 407: return ("Proxy Authentication Required", "Proxy Authentication Required")
        case 481: return ("Call/Transaction Does Not Exist", "Call/Transaction Does Not Exist")
        case 487: return ("Request Terminated", "Request Terminated")
        default: return nil
        }
    }

    /// `SIP/1*DIGIT.1*DIGIT`; any version parses so that a UAS can answer 505.
    private static func parseVersion(_ b: UnsafeBufferPointer<UInt8>, base: Int, isRequest: Bool) throws(SIPParseError) -> String {
        func bad() -> SIPParseError {
            SIPParseError(.badVersion, "SIP-Version must look like SIP/2.0", offset: base, isRequest: isRequest)
        }
        // Every message says SIP/2.0: one compare before the general form.
        if CharClass.spells("SIP/2.0", b) { return "SIP/2.0" }
        guard b.count >= 7, b[0] | 0x20 == 0x73, b[1] | 0x20 == 0x69, b[2] | 0x20 == 0x70, b[3] == 0x2F else { throw bad() }
        guard let dot = b[4...].firstIndex(of: 0x2E), dot > 4, dot < b.count - 1 else { throw bad() }
        for i in 4..<b.count where i != dot && !CharClass.isDigit(b[i]) { throw bad() }
        if b.count == 7, b[0] == 0x53, b[1] == 0x49, b[2] == 0x50, b[4] == 0x32, b[6] == 0x30 { return "SIP/2.0" }
        return String(decoding: b, as: UTF8.self).uppercased()
    }
}
