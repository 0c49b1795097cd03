/// A SIP header field name.
///
/// Names compare case-insensitively and compact forms (RFC 3261 §7.3.3,
/// plus the ones registered later) are mapped to their long form, so `v`,
/// `VIA` and `Via` are the same name. ``canonical`` is the spelling used on
/// the wire when serialising.
///
/// Known names are a small integer (no String to copy or retain on the
/// parser's hot path); unknown names carry the spelling they arrived with.
public struct SIPHeaderName: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// Index into ``known`` (1-based); 0 for a name not in the table.
    let id: UInt8
    /// Received spelling of an unknown name.
    private let custom: String?

    init(id: UInt8) {
        self.id = id
        self.custom = nil
    }

    init(custom: String) {
        self.id = 0
        self.custom = custom
    }

    /// A name as received or typed; known names and compact forms resolve to
    /// their canonical spelling, unknown ones keep theirs.
    public init(_ name: String) {
        if let known = SIPHeaderName.table[name.lowercased()] {
            self = known
        } else {
            self.init(custom: name)
        }
    }

    public init(stringLiteral value: String) { self.init(value) }

    /// Spelling written when serialising.
    public var canonical: String { id == 0 ? custom! : SIPHeaderName.known[Int(id) - 1] }
    /// Lower-cased long form: the identity of the name.
    public var key: String { canonical.lowercased() }
    public var description: String { canonical }

    public static func == (a: SIPHeaderName, b: SIPHeaderName) -> Bool {
        if a.id != 0 || b.id != 0 { return a.id == b.id }
        return a.custom!.lowercased() == b.custom!.lowercased()
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        if id == 0 { hasher.combine(custom!.lowercased()) }
    }

    /// Canonical spellings; a name's id is its position + 1. The order is a
    /// contract with the static members below.
    private static let known: [String] = [
        "Via", "From", "To", "Call-ID", "CSeq", "Contact", "Content-Length", "Content-Type",
        "Content-Encoding", "Max-Forwards", "Expires", "Min-Expires", "WWW-Authenticate",
        "Proxy-Authenticate", "Authorization", "Proxy-Authorization", "Allow", "Accept",
        "Accept-Encoding", "Accept-Language", "Supported", "Require", "Proxy-Require",
        "Unsupported", "User-Agent", "Server", "Route", "Record-Route", "Retry-After", "Subject",
        "Event", "Refer-To", "Referred-By", "Session-Expires", "Date", "Timestamp", "Warning",
        "Path", "Flow-Timer", "Allow-Events", "Accept-Contact", "Reject-Contact",
        "Request-Disposition", "Identity", "Identity-Info",
    ]

    public static let via = SIPHeaderName(id: 1)
    public static let from = SIPHeaderName(id: 2)
    public static let to = SIPHeaderName(id: 3)
    public static let callID = SIPHeaderName(id: 4)
    public static let cseq = SIPHeaderName(id: 5)
    public static let contact = SIPHeaderName(id: 6)
    public static let contentLength = SIPHeaderName(id: 7)
    /// Content-Length's id as a constant, for the parser's framing check.
    static let contentLengthID: UInt8 = 7
    public static let contentType = SIPHeaderName(id: 8)
    public static let contentEncoding = SIPHeaderName(id: 9)
    public static let maxForwards = SIPHeaderName(id: 10)
    public static let expires = SIPHeaderName(id: 11)
    public static let minExpires = SIPHeaderName(id: 12)
    public static let wwwAuthenticate = SIPHeaderName(id: 13)
    public static let proxyAuthenticate = SIPHeaderName(id: 14)
    public static let authorization = SIPHeaderName(id: 15)
    public static let proxyAuthorization = SIPHeaderName(id: 16)
    public static let allow = SIPHeaderName(id: 17)
    public static let accept = SIPHeaderName(id: 18)
    public static let acceptEncoding = SIPHeaderName(id: 19)
    public static let acceptLanguage = SIPHeaderName(id: 20)
    public static let supported = SIPHeaderName(id: 21)
    public static let require = SIPHeaderName(id: 22)
    public static let proxyRequire = SIPHeaderName(id: 23)
    public static let unsupported = SIPHeaderName(id: 24)
    public static let userAgent = SIPHeaderName(id: 25)
    public static let server = SIPHeaderName(id: 26)
    public static let route = SIPHeaderName(id: 27)
    public static let recordRoute = SIPHeaderName(id: 28)
    public static let retryAfter = SIPHeaderName(id: 29)
    public static let subject = SIPHeaderName(id: 30)
    public static let event = SIPHeaderName(id: 31)
    public static let referTo = SIPHeaderName(id: 32)
    public static let referredBy = SIPHeaderName(id: 33)
    public static let sessionExpires = SIPHeaderName(id: 34)
    public static let date = SIPHeaderName(id: 35)
    public static let timestamp = SIPHeaderName(id: 36)
    public static let warning = SIPHeaderName(id: 37)
    public static let path = SIPHeaderName(id: 38)
    public static let flowTimer = SIPHeaderName(id: 39)
    public static let allowEvents = SIPHeaderName(id: 40)

    /// Compact forms: RFC 3261 §7.3.3 (i m f t v l c k s e), RFC 3265 (o u),
    /// RFC 3515 (r), RFC 3892 (b), RFC 4028 (x), RFC 3841 (a j d), RFC 4474 (y n).
    private static let compact: [String: SIPHeaderName] = [
        "i": callID, "m": contact, "f": from, "t": to, "v": via, "l": contentLength,
        "c": contentType, "k": supported, "s": subject, "e": contentEncoding,
        "o": event, "u": allowEvents, "r": referTo, "b": referredBy, "x": sessionExpires,
        "a": SIPHeaderName(id: 41), "j": SIPHeaderName(id: 42), "d": SIPHeaderName(id: 43),
        "y": SIPHeaderName(id: 44), "n": SIPHeaderName(id: 45),
    ]

    private static let table: [String: SIPHeaderName] = {
        var t = compact
        for (i, name) in known.enumerated() { t[name.lowercased()] = SIPHeaderName(id: UInt8(i + 1)) }
        return t
    }()

    /// The id of the known name these bytes spell (case-insensitive, compact
    /// forms included), or 0. The parser's hot path: the headers every
    /// message carries are matched by length and bytes with plain integer
    /// results (the ids are positions in ``known``); the rest go through the
    /// lower-cased table. `readable` is how many bytes from the name's start
    /// may be read (the rest of the message): when they cover the name in
    /// whole words it is compared eight bytes at a time, the bytes past it
    /// masked off.
    static func knownID(_ bytes: UnsafeBufferPointer<UInt8>, readable: Int = 0) -> UInt8 {
        let n = bytes.count
        // Whole words up to the name's end must be readable.
        let wide = readable >= (n &+ 7) & ~7 && bytes.baseAddress != nil
        @inline(__always) func lower(_ i: Int) -> UInt8 {
            let b = bytes[i]
            return (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b
        }
        let first = n > 0 ? lower(0) : 0
        // The names below are lower-case letters and '-'. Only a letter's
        // case is folded (`| 0x20` where the name has a letter), so a match
        // means exactly these bytes: a name the parser has not checked
        // byte by byte is then known to be a token.
        @inline(__always) func matches(_ s: StaticString) -> Bool {
            if wide, let base = bytes.baseAddress { return CharClass.spellsFolded(UnsafeRawPointer(base), n, s) }
            return Self.matchesByByte(bytes, s.utf8Start)
        }
        switch n {
        case 1:
            switch first {
            case UInt8(ascii: "v"): return 1
            case UInt8(ascii: "f"): return 2
            case UInt8(ascii: "t"): return 3
            case UInt8(ascii: "i"): return 4
            case UInt8(ascii: "m"): return 6
            case UInt8(ascii: "l"): return 7
            default: break
            }
        case 2: if matches("to") { return 3 }
        case 3: if matches("via") { return 1 }
        case 4:
            if matches("from") { return 2 }
            if matches("cseq") { return 5 }
            if matches("date") { return 35 }
            if matches("path") { return 38 }
        case 5:
            if matches("allow") { return 17 }
            if matches("route") { return 27 }
            if matches("event") { return 31 }
        case 6:
            if matches("server") { return 26 }
            if matches("accept") { return 18 }
        case 7:
            if matches("call-id") { return 4 }
            if matches("contact") { return 6 }
            if matches("expires") { return 11 }
            if matches("require") { return 22 }
            if matches("subject") { return 30 }
            if matches("warning") { return 37 }
        case 9: if matches("supported") { return 21 }
        case 10: if matches("user-agent") { return 25 }
        case 11:
            if matches("min-expires") { return 12 }
            if matches("retry-after") { return 29 }
            if matches("unsupported") { return 24 }
        case 12:
            if matches("max-forwards") { return 10 }
            if matches("content-type") { return 8 }
            if matches("record-route") { return 28 }
        case 13: if matches("authorization") { return 15 }
        case 14: if matches("content-length") { return 7 }
        case 16: if matches("www-authenticate") { return 13 }
        case 18: if matches("proxy-authenticate") { return 14 }
        case 19: if matches("proxy-authorization") { return 16 }
        default: break
        }
        let lowered = String(unsafeUninitializedCapacity: n) { out in
            for i in 0..<n { out[i] = lower(i) }
            return n
        }
        return table[lowered]?.id ?? 0
    }

    /// The id of the names nearly every message carries (Via, From, To,
    /// Call-ID, CSeq, Contact, Expires, Max-Forwards, Content-Length), or 0
    /// for any other name, or when whole words do not cover this one: the
    /// parser's first try. Its switch is a third the size of
    /// ``knownID(_:readable:)``'s, so the call costs about two thirds as
    /// much (the optimiser keeps both as calls from the parser's loop).
    /// Exact as `knownID` is (`ParserTests.knownNamesMatchExactBytesOnly`).
    @inline(__always)
    static func commonID(_ bytes: UnsafeBufferPointer<UInt8>, readable: Int) -> UInt8 {
        let n = bytes.count
        guard readable >= (n &+ 7) & ~7, let base = bytes.baseAddress else { return 0 }
        let raw = UnsafeRawPointer(base)
        switch n {
        case 2: return CharClass.spellsFolded(raw, 2, "to") ? 3 : 0
        case 3: return CharClass.spellsFolded(raw, 3, "via") ? 1 : 0
        case 4: return CharClass.spellsFolded(raw, 4, "from") ? 2 : CharClass.spellsFolded(raw, 4, "cseq") ? 5 : 0
        case 7: return CharClass.spellsFolded(raw, 7, "call-id") ? 4 : CharClass.spellsFolded(raw, 7, "contact") ? 6 : CharClass.spellsFolded(raw, 7, "expires") ? 11 : 0
        case 12: return CharClass.spellsFolded(raw, 12, "max-forwards") ? 10 : 0
        case 14: return CharClass.spellsFolded(raw, 14, "content-length") ? 7 : 0
        default: return 0
        }
    }

    /// `bytes` (of the name's length) against the name at `p`, letters
    /// case-folded, byte by byte: the path for a name near the end of the
    /// message, where eight-byte loads would read past it. Out of line, so
    /// that `matches` stays small enough to be inlined and its words folded
    /// to constants (inline, this loop made the optimiser call `matches`
    /// for every name).
    @inline(never)
    private static func matchesByByte(_ bytes: UnsafeBufferPointer<UInt8>, _ p: UnsafePointer<UInt8>) -> Bool {
        CharClass.equalsIgnoringCase(bytes, UnsafeBufferPointer(start: p, count: bytes.count))
    }

    /// Names whose values may be comma-separated lists (RFC 3261 §7.3.1).
    public var isListValued: Bool {
        switch id {
        case 1, 6, 27, 28, 17, 21, 22, 23, 24, 18, 19, 20, 38, 40, 9, 37: return true
        default: return false
        }
    }
}
