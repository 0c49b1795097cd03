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

    /// Resolve a name from raw bytes (the parser's hot path). The headers
    /// every message carries are matched by length and bytes, with no String
    /// built; the rest go through the lower-cased table. Unknown names keep
    /// their received spelling.
    /// The known name these bytes spell, or nil for an extension header.
    static func resolveKnown(_ bytes: UnsafeBufferPointer<UInt8>) -> SIPHeaderName? {
        let name = resolve(bytes)
        return name.id == 0 ? nil : name
    }

    static func resolve(_ bytes: UnsafeBufferPointer<UInt8>) -> SIPHeaderName {
        let n = bytes.count
        @inline(__always) func lower(_ i: Int) -> UInt8 {
            let b = bytes[i]
            return (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b
        }
        let first = n > 0 ? lower(0) : 0
        @inline(__always) func matches(_ s: StaticString) -> Bool {
            let p = s.utf8Start
            guard p[0] == first else { return false }
            for i in 1..<n where lower(i) != p[i] { return false }
            return true
        }
        switch n {
        case 1:
            switch lower(0) {
            case UInt8(ascii: "v"): return .via
            case UInt8(ascii: "f"): return .from
            case UInt8(ascii: "t"): return .to
            case UInt8(ascii: "i"): return .callID
            case UInt8(ascii: "m"): return .contact
            case UInt8(ascii: "l"): return .contentLength
            default: break
            }
        case 2: if matches("to") { return .to }
        case 3: if matches("via") { return .via }
        case 4:
            if matches("from") { return .from }
            if matches("cseq") { return .cseq }
            if matches("date") { return .date }
            if matches("path") { return .path }
        case 5:
            if matches("allow") { return .allow }
            if matches("route") { return .route }
            if matches("event") { return .event }
        case 6:
            if matches("server") { return .server }
            if matches("accept") { return .accept }
        case 7:
            if matches("call-id") { return .callID }
            if matches("contact") { return .contact }
            if matches("expires") { return .expires }
            if matches("require") { return .require }
            if matches("subject") { return .subject }
            if matches("warning") { return .warning }
        case 9: if matches("supported") { return .supported }
        case 10: if matches("user-agent") { return .userAgent }
        case 11:
            if matches("min-expires") { return .minExpires }
            if matches("retry-after") { return .retryAfter }
            if matches("unsupported") { return .unsupported }
        case 12:
            if matches("max-forwards") { return .maxForwards }
            if matches("content-type") { return .contentType }
            if matches("record-route") { return .recordRoute }
        case 13: if matches("authorization") { return .authorization }
        case 14: if matches("content-length") { return .contentLength }
        case 16: if matches("www-authenticate") { return .wwwAuthenticate }
        case 18: if matches("proxy-authenticate") { return .proxyAuthenticate }
        case 19: if matches("proxy-authorization") { return .proxyAuthorization }
        default: break
        }
        let lowered = String(unsafeUninitializedCapacity: n) { out in
            for i in 0..<n { out[i] = lower(i) }
            return n
        }
        if let known = table[lowered] { return known }
        return SIPHeaderName(custom: String(decoding: bytes, as: UTF8.self))
    }

    /// Names whose values may be comma-separated lists (RFC 3261 §7.3.1).
    public var isListValued: Bool {
        switch id {
        case 1, 6, 27, 28, 17, 21, 22, 23, 24, 18, 19, 20, 38, 40, 9, 37: return true
        default: return false
        }
    }
}
