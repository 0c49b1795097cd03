#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Parses URIs from bytes; errors carry offsets relative to the whole
/// message (`base` is where the URI starts).
///
/// The bytes are read through a buffer pointer: every sub-range the
/// grammar needs is then an index pair, with no reference count to keep
/// (a URI is parsed in every From, To, Contact and Request-URI). Only the
/// parameters, kept for reading later, become a slice of the message.
/// `check` runs the same grammar without making the URI (message validation).
enum URIParser {
    static func parse(_ b: ArraySlice<UInt8>, base: Int) throws(SIPParseError) -> SIPURI {
        try b.withUnsafeBufferPointer { (p) throws(SIPParseError) -> SIPURI? in try parse(p, origin: b, base: base, build: true) }!
    }

    /// Throws what `parse` would, making nothing.
    static func check(_ p: UnsafeBufferPointer<UInt8>, base: Int) throws(SIPParseError) {
        if isPlainSIP(p) { return }
        _ = try parse(p, origin: [], base: base, build: false)
    }

    /// True only for a URI the full grammar accepts: the usual `sip:` or
    /// `sips:` URI with no %-escape, IPv6 reference or headers, checked in
    /// one pass. Anything else (including every malformed URI) is false
    /// and goes to the full parse, which names the fault. A URI is checked
    /// in every From, To, Contact and Request-URI, and the full parse
    /// reads it six times over.
    static func isPlainSIP(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
        plainSIPEnd(p, from: 0) == p.count
    }

    /// Where the URI starting at `start` ends (the first byte that cannot
    /// be in one, or the end of `p`), when it is a plain `sip:`/`sips:` URI
    /// as ``isPlainSIP(_:)`` takes them; nil otherwise. A name-addr finds
    /// its `>` this way, in the same pass.
    static func plainSIPEnd(_ p: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard p.count - start >= 5, p[start] | 0x20 == UInt8(ascii: "s"), p[start + 1] | 0x20 == UInt8(ascii: "i"),
              p[start + 2] | 0x20 == UInt8(ascii: "p") else { return nil }
        var i: Int
        if p[start + 3] == UInt8(ascii: ":") {
            i = start + 4
        } else if p[start + 3] | 0x20 == UInt8(ascii: "s"), p[start + 4] == UInt8(ascii: ":") {
            i = start + 5
        } else {
            return nil
        }
        // The usual form, `user@host[:port][;params]`, in one pass: the run
        // that ends at the first '@' is the user part, and the host, port
        // and parameters are read from there on without a second look.
        let userEnd = CharClass.shortRunEnd(p, from: i, CharClass.plainURIBit)
        if userEnd < p.count, p[userEnd] == UInt8(ascii: "@") {
            guard userEnd > i else { return nil }
            return plainHostEnd(p, from: userEnd + 1)
        }
        // No user part before the first byte outside the run: where the URI
        // ends, and where the user part does (the full parse takes the first
        // '@' anywhere after the scheme).
        var n = i
        var at = -1
        while n < p.count {
            n = CharClass.shortRunEnd(p, from: n, CharClass.plainURIBit)
            guard n < p.count else { break }
            let c = p[n]
            if c == UInt8(ascii: "@") {
                if at < 0 { at = n }
                n += 1
            } else if CharClass.isURIChar(c) {
                return nil // '%', '[' or '?': the full parse reads those
            } else {
                break
            }
        }
        if at >= 0 {
            guard at > i else { return nil }
            i = at + 1
        }
        // ':' and ';' are not host characters: one class test per byte.
        let hostStart = i
        i = min(CharClass.shortRunEnd(p, from: i, CharClass.hostBit), n)
        guard i > hostStart, i == n || p[i] == UInt8(ascii: ":") || p[i] == UInt8(ascii: ";") else { return nil }
        if i < n, p[i] == UInt8(ascii: ":") {
            i += 1
            guard let port = CharClass.digits(p, &i, atMost: 5), port <= 65535, i == n || p[i] == UInt8(ascii: ";") else { return nil }
        }
        // `;name[=value]` up to the next ';': the name must not be empty.
        while i < n {
            i += 1
            guard i < n, p[i] != UInt8(ascii: ";"), p[i] != UInt8(ascii: "=") else { return nil }
            while i < n, p[i] != UInt8(ascii: ";") { i += 1 }
        }
        return n
    }

    /// From the host after a URI's first '@': `host[:port]*(;name[=value])`
    /// in plain URI characters (later '@'s included), and the end, which
    /// must be a byte no URI holds; nil for anything else.
    @inline(__always)
    private static func plainHostEnd(_ p: UnsafeBufferPointer<UInt8>, from hostStart: Int) -> Int? {
        var j = CharClass.shortRunEnd(p, from: hostStart, CharClass.hostBit)
        guard j > hostStart else { return nil }
        if j < p.count, p[j] == UInt8(ascii: ":") {
            j += 1
            guard let port = CharClass.digits(p, &j, atMost: 5), port <= 65535 else { return nil }
        }
        @inline(__always) func inRun(_ c: UInt8) -> Bool { CharClass.has(c, CharClass.plainURIBit) || c == UInt8(ascii: "@") }
        // `;name[=value]` up to the next ';': the name must not be empty.
        while j < p.count, p[j] == UInt8(ascii: ";") {
            j += 1
            guard j < p.count, p[j] != UInt8(ascii: ";"), p[j] != UInt8(ascii: "="), inRun(p[j]) else { return nil }
            while j < p.count, p[j] != UInt8(ascii: ";"), inRun(p[j]) { j += 1 }
        }
        // The URI ends at a byte no URI holds; '%', '[', '?' (or any other
        // byte after the host or port) are for the full parse.
        if j < p.count, inRun(p[j]) || CharClass.isURIChar(p[j]) { return nil }
        return j
    }

    /// `p` is `origin`'s bytes; indices into `p` are 0-based. Returns nil when not `build`ing.
    private static func parse(_ p: UnsafeBufferPointer<UInt8>, origin: ArraySlice<UInt8>, base: Int, build: Bool) throws(SIPParseError) -> SIPURI? {
        func fail(_ why: String, _ at: Int) -> SIPParseError { SIPParseError(.badURI, why, offset: base + at) }
        guard let colon = p.firstIndex(of: UInt8(ascii: ":")), colon > 0 else { throw fail("URI has no scheme", 0) }
        for i in 0..<colon {
            let c = p[i]
            let ok = i == 0 ? CharClass.isAlpha(c) : (CharClass.isAlnum(c) || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") || c == UInt8(ascii: "."))
            guard ok else { throw fail("invalid character in URI scheme", i) }
        }
        let scheme = SIPURI.Scheme(utf8: p[0..<colon])
        for i in (colon + 1)..<p.count {
            let c = p[i]
            if !CharClass.isURIChar(c) {
                throw fail("character 0x\(String(c, radix: 16)) not allowed in a URI", i)
            }
        }
        var r = Reader(p: p, origin: origin, base: base, build: build, i: colon + 1)
        switch scheme {
        case .sip, .sips: return try r.sip(scheme: scheme)
        case .tel: return try r.tel()
        case .other:
            guard colon + 1 < p.count else { throw fail("empty URI after scheme", colon) }
            return build ? SIPURI(scheme: scheme, opaque: r.string(colon + 1, p.count)) : nil
        }
    }

    private struct Reader {
        let p: UnsafeBufferPointer<UInt8>
        let origin: ArraySlice<UInt8>
        let base: Int
        /// False: check only (Strings are "" and the result nil).
        let build: Bool
        var i: Int

        func fail(_ why: String, _ at: Int) -> SIPParseError { SIPParseError(.badURI, why, offset: base + at) }
        func string(_ from: Int, _ to: Int) -> String { build ? String(decoding: UnsafeBufferPointer(rebasing: p[from..<to]), as: UTF8.self) : "" }
        func decoded(_ from: Int, _ to: Int) -> String? {
            let bytes = UnsafeBufferPointer(rebasing: p[from..<to])
            return build ? PercentEncoding.decode(bytes) : (PercentEncoding.isValid(bytes) ? "" : nil)
        }
        func firstIndex(of c: UInt8, from: Int, to: Int) -> Int? { p[from..<to].firstIndex(of: c) }

        mutating func sip(scheme: SIPURI.Scheme) throws(SIPParseError) -> SIPURI? {
            // Components gathered first, the URI made once at the end.
            var user: String?, password: String?, host: String, port: UInt16?
            if let at = firstIndex(of: UInt8(ascii: "@"), from: i, to: p.count) {
                guard at > i else { throw fail("empty user part before '@'", at) }
                let userEnd = firstIndex(of: UInt8(ascii: ":"), from: i, to: at) ?? at
                guard let u = decoded(i, userEnd) else { throw fail("bad %-escape in user part", i) }
                user = u
                if userEnd < at {
                    guard let pw = decoded(userEnd + 1, at) else { throw fail("bad %-escape in password", userEnd) }
                    password = pw
                }
                i = at + 1
            }
            guard i < p.count else { throw fail("URI has no host", i) }
            if p[i] == UInt8(ascii: "[") {
                guard let close = firstIndex(of: UInt8(ascii: "]"), from: i, to: p.count) else { throw fail("unterminated IPv6 reference", i) }
                let literal = String(decoding: UnsafeBufferPointer(rebasing: p[(i + 1)..<close]), as: UTF8.self)
                guard let normal = IPAddressText.normalizeIPv6Reference(literal) else { throw fail("invalid IPv6 address '\(literal)'", i) }
                host = normal
                i = close + 1
            } else {
                let start = i
                while i < p.count, p[i] != UInt8(ascii: ":"), p[i] != UInt8(ascii: ";"), p[i] != UInt8(ascii: "?") {
                    let c = p[i]
                    guard CharClass.isHostChar(c) else { throw fail("invalid character in host", i) }
                    i += 1
                }
                guard i > start else { throw fail("URI has no host", start) }
                host = string(start, i)
            }
            if i < p.count, p[i] == UInt8(ascii: ":") {
                let start = i + 1
                i = start
                var n = 0
                while i < p.count, CharClass.isDigit(p[i]) {
                    n = n * 10 + Int(p[i] - 0x30)
                    guard n <= 65535 else { throw fail("port out of range", start) }
                    i += 1
                }
                guard i > start, i == p.count || p[i] == UInt8(ascii: ";") || p[i] == UInt8(ascii: "?") else { throw fail("port is not a number", start) }
                port = UInt16(n)
            }
            let (parameters, headers) = try paramsAndHeaders()
            return build ? SIPURI(scheme: scheme, user: user, password: password, host: host, port: port, parameters: parameters, headers: headers) : nil
        }

        mutating func tel() throws(SIPParseError) -> SIPURI? {
            let end = firstIndex(of: UInt8(ascii: ";"), from: i, to: p.count) ?? p.count
            guard end > i, let number = decoded(i, end) else { throw fail("tel URI has no number", i) }
            i = end
            let (parameters, headers) = try paramsAndHeaders()
            return build ? SIPURI(scheme: .tel, user: number, host: "", parameters: parameters, headers: headers) : nil
        }

        /// `*(";" param) ["?" header *("&" header)]` from `i` to the end. Parameters
        /// are checked here and read on access (SIPParameters keeps the bytes).
        mutating func paramsAndHeaders() throws(SIPParseError) -> (SIPParameters, [SIPParameters.Parameter]) {
            let paramsStart = i
            let headersStart = firstIndex(of: UInt8(ascii: "?"), from: i, to: p.count) ?? p.count
            let params = p[..<headersStart]
            while i < headersStart {
                guard let (name, value) = SIPParameters.nextURIParameter(params, &i) else { throw fail("unexpected character after host", i) }
                guard !name.isEmpty || value != nil else { throw fail("empty URI parameter", name.lowerBound) }
                guard !name.isEmpty, PercentEncoding.isValid(UnsafeBufferPointer(rebasing: p[name])) else { throw fail("bad parameter name", name.lowerBound) }
                if let value, !PercentEncoding.isValid(UnsafeBufferPointer(rebasing: p[value])) { throw fail("bad %-escape in parameter value", value.lowerBound) }
            }
            let o = origin.startIndex
            let parameters = build ? SIPParameters(uriBytes: origin[(o + paramsStart)..<(o + headersStart)]) : SIPParameters()
            var headers: [SIPParameters.Parameter] = []
            if headersStart < p.count {
                var start = headersStart + 1
                while start <= p.count {
                    let end = firstIndex(of: UInt8(ascii: "&"), from: start, to: p.count) ?? p.count
                    guard end > start else { throw fail("empty URI header", start) }
                    let eq = firstIndex(of: UInt8(ascii: "="), from: start, to: end) ?? end
                    guard eq > start, let name = decoded(start, eq) else { throw fail("bad parameter name", start) }
                    // hvalue may be empty but "=" is part of the grammar: a bare name is an empty value.
                    guard let value = eq < end ? decoded(eq + 1, end) : "" else { throw fail("bad %-escape in parameter value", eq + 1) }
                    if build { headers.append(.init(name: name, value: value)) }
                    start = end + 1
                }
            }
            i = p.count
            return (parameters, headers)
        }
    }
}
