#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Parses URIs from bytes; errors carry offsets relative to the whole
/// message (`base` is where the URI starts).
enum URIParser {
    static func parse(_ b: ArraySlice<UInt8>, base: Int) throws(SIPParseError) -> SIPURI {
        func fail(_ why: String, _ at: Int) -> SIPParseError {
            SIPParseError(.badURI, why, offset: base + (at - b.startIndex))
        }
        guard let colon = b.firstIndex(of: UInt8(ascii: ":")), colon > b.startIndex else {
            throw fail("URI has no scheme", b.startIndex)
        }
        for i in b.startIndex..<colon {
            let c = b[i]
            let ok = i == b.startIndex ? CharClass.isAlpha(c)
                : (CharClass.isAlnum(c) || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") || c == UInt8(ascii: "."))
            guard ok else { throw fail("invalid character in URI scheme", i) }
        }
        let scheme = SIPURI.Scheme(utf8: b[b.startIndex..<colon])
        let rest = b[(colon + 1)...]
        for i in rest.indices {
            let c = rest[i]
            if c <= 0x20 || c >= 0x7F || c == UInt8(ascii: "<") || c == UInt8(ascii: ">") || c == UInt8(ascii: "\"") {
                throw fail("character 0x\(String(c, radix: 16)) not allowed in a URI", i)
            }
        }
        switch scheme {
        case .sip, .sips: return try parseSIP(scheme: scheme, rest, fail: fail)
        case .tel: return try parseTel(rest, fail: fail)
        case .other:
            guard !rest.isEmpty else { throw fail("empty URI after scheme", colon) }
            return SIPURI(scheme: scheme, opaque: String(decoding: rest, as: UTF8.self))
        }
    }

    private static func parseSIP(scheme: SIPURI.Scheme, _ b: ArraySlice<UInt8>,
                                 fail: (String, Int) -> SIPParseError) throws(SIPParseError) -> SIPURI {
        // Components gathered first, the URI made once at the end.
        var user: String?, password: String?, host: String, port: UInt16?
        var i = b.startIndex
        if let at = b.firstIndex(of: UInt8(ascii: "@")) {
            let userinfo = b[i..<at]
            guard !userinfo.isEmpty else { throw fail("empty user part before '@'", at) }
            let userEnd = userinfo.firstIndex(of: UInt8(ascii: ":")) ?? at
            guard let u = PercentEncoding.decode(b[i..<userEnd]) else { throw fail("bad %-escape in user part", i) }
            user = u
            if userEnd < at {
                guard let pw = PercentEncoding.decode(b[(userEnd + 1)..<at]) else { throw fail("bad %-escape in password", userEnd) }
                password = pw
            }
            i = at + 1
        }
        guard i < b.endIndex else { throw fail("URI has no host", i) }
        if b[i] == UInt8(ascii: "[") {
            guard let close = b[i...].firstIndex(of: UInt8(ascii: "]")) else { throw fail("unterminated IPv6 reference", i) }
            let literal = String(decoding: b[(i + 1)..<close], as: UTF8.self)
            guard let normal = IPAddressText.normalizeIPv6Reference(literal) else {
                throw fail("invalid IPv6 address '\(literal)'", i)
            }
            host = normal
            i = close + 1
        } else {
            let start = i
            while i < b.endIndex, b[i] != UInt8(ascii: ":"), b[i] != UInt8(ascii: ";"), b[i] != UInt8(ascii: "?") {
                let c = b[i]
                guard CharClass.isAlnum(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") else {
                    throw fail("invalid character in host", i)
                }
                i += 1
            }
            guard i > start else { throw fail("URI has no host", start) }
            host = String(decoding: b[start..<i], as: UTF8.self)
        }
        if i < b.endIndex, b[i] == UInt8(ascii: ":") {
            let start = i + 1
            i = start
            var p = 0
            while i < b.endIndex, CharClass.isDigit(b[i]) {
                p = p * 10 + Int(b[i] - 0x30)
                guard p <= 65535 else { throw fail("port out of range", start) }
                i += 1
            }
            guard i > start else { throw fail("port is not a number", start) }
            guard i == b.endIndex || b[i] == UInt8(ascii: ";") || b[i] == UInt8(ascii: "?") else {
                throw fail("port is not a number", start)
            }
            port = UInt16(p)
        }
        let (parameters, headers) = try parseParamsAndHeaders(b[i...], fail: fail)
        return SIPURI(scheme: scheme, user: user, password: password, host: host, port: port, parameters: parameters, headers: headers)
    }

    private static func parseTel(_ b: ArraySlice<UInt8>, fail: (String, Int) -> SIPParseError) throws(SIPParseError) -> SIPURI {
        let end = b.firstIndex(of: UInt8(ascii: ";")) ?? b.endIndex
        guard end > b.startIndex, let number = PercentEncoding.decode(b[b.startIndex..<end]) else {
            throw fail("tel URI has no number", b.startIndex)
        }
        let (parameters, headers) = try parseParamsAndHeaders(b[end...], fail: fail)
        return SIPURI(scheme: .tel, user: number, host: "", parameters: parameters, headers: headers)
    }

    private static func parseParamsAndHeaders(_ b: ArraySlice<UInt8>, fail: (String, Int) -> SIPParseError)
        throws(SIPParseError) -> (SIPParameters, [SIPParameters.Parameter]) {
        var i = b.startIndex
        let headersStart = b.firstIndex(of: UInt8(ascii: "?")) ?? b.endIndex
        // Parameters are checked here and read on access (SIPParameters keeps the bytes).
        while i < headersStart {
            guard b[i] == UInt8(ascii: ";") else { throw fail("unexpected character after host", i) }
            let start = i + 1
            let end = b[start..<headersStart].firstIndex(of: UInt8(ascii: ";")) ?? headersStart
            guard end > start else { throw fail("empty URI parameter", start) }
            let eq = b[start..<end].firstIndex(of: UInt8(ascii: "=")) ?? end
            guard eq > start, PercentEncoding.isValid(b[start..<eq]) else { throw fail("bad parameter name", start) }
            if eq < end, !PercentEncoding.isValid(b[(eq + 1)..<end]) { throw fail("bad %-escape in parameter value", eq + 1) }
            i = end
        }
        let parameters = SIPParameters(uriBytes: b[b.startIndex..<headersStart])
        var headers: [SIPParameters.Parameter] = []
        if headersStart < b.endIndex {
            var start = headersStart + 1
            while start <= b.endIndex {
                let end = b[start...].firstIndex(of: UInt8(ascii: "&")) ?? b.endIndex
                guard end > start else { throw fail("empty URI header", start) }
                var header = try nameValue(b[start..<end], separator: UInt8(ascii: "="), fail: fail)
                // hvalue may be empty but "=" is part of the grammar: a bare name is an empty value.
                if header.value == nil { header.value = "" }
                headers.append(header)
                start = end + 1
            }
        }
        return (parameters, headers)
    }

    private static func nameValue(_ b: ArraySlice<UInt8>, separator: UInt8,
                                  fail: (String, Int) -> SIPParseError) throws(SIPParseError) -> SIPParameters.Parameter {
        let eq = b.firstIndex(of: separator) ?? b.endIndex
        guard eq > b.startIndex, let name = PercentEncoding.decode(b[b.startIndex..<eq]) else {
            throw fail("bad parameter name", b.startIndex)
        }
        if eq == b.endIndex { return .init(name: name, value: nil) }
        guard let value = PercentEncoding.decode(b[(eq + 1)...]) else { throw fail("bad %-escape in parameter value", eq + 1) }
        return .init(name: name, value: value)
    }
}
