/// A SIP, SIPS or tel URI (RFC 3261 §19.1, RFC 3966), or any other
/// absolute URI kept opaque (RFC 3261 allows them in the Request-URI and in
/// name-addr; a UA answers 416 for schemes it cannot use).
///
/// Components are stored unescaped; ``description`` escapes them again.
public struct SIPURI: Hashable, Sendable, CustomStringConvertible {
    public enum Scheme: Hashable, Sendable, CustomStringConvertible {
        case sip, sips, tel
        case other(String)

        public init(_ raw: String) { self.init(utf8: raw.utf8) }

        /// From the scheme's bytes (the URI parser's, without a String for the common ones).
        init<C: Collection<UInt8>>(utf8 raw: C) {
            if CharClass.equalsIgnoringCase(raw, "sip".utf8) { self = .sip }
            else if CharClass.equalsIgnoringCase(raw, "sips".utf8) { self = .sips }
            else if CharClass.equalsIgnoringCase(raw, "tel".utf8) { self = .tel }
            else { self = .other(String(decoding: raw, as: UTF8.self)) }
        }

        public var description: String {
            switch self {
            case .sip: return "sip"
            case .sips: return "sips"
            case .tel: return "tel"
            case .other(let s): return s
            }
        }
    }

    /// The components, in one reference-counted box shared by copies and
    /// copied before a change: a URI is copied far more often than changed
    /// (into name-addrs, dialogs, requests), and a copy is then one retain
    /// instead of one per component.
    private final class Storage: @unchecked Sendable {
        var scheme: Scheme
        var user: String?
        var password: String?
        var host: String
        var port: UInt16?
        var parameters: SIPParameters
        var headers: [SIPParameters.Parameter]
        var opaque: String?

        init(scheme: Scheme, user: String?, password: String?, host: String, port: UInt16?,
             parameters: SIPParameters, headers: [SIPParameters.Parameter], opaque: String?) {
            self.scheme = scheme
            self.user = user
            self.password = password
            self.host = host
            self.port = port
            self.parameters = parameters
            self.headers = headers
            self.opaque = opaque
        }

        func copy() -> Storage {
            Storage(scheme: scheme, user: user, password: password, host: host, port: port, parameters: parameters, headers: headers, opaque: opaque)
        }
    }

    /// Built components, or the checked bytes of a received URI made into
    /// components only when one is read: a received From, To or Contact is
    /// mostly read for its tag or parameters, not its URI, and making the
    /// URI's Strings and box for every message was most of their cost.
    private enum Form: Sendable {
        case built(Storage)
        /// Bytes `URIParser` has checked (a slice of the message: no copy).
        case text(ArraySlice<UInt8>)
    }

    // `@unchecked Sendable` boundary of Storage: it is changed only through
    // `unique`, that is while no other value shares it.
    private var form: Form

    /// The components (made from the bytes, each time, for a received URI).
    private var storage: Storage {
        switch form {
        case .built(let s): return s
        case .text(let b): return Self.components(b)
        }
    }

    /// The components of checked bytes (they parse: the check ran the same grammar).
    private static func components(_ b: ArraySlice<UInt8>) -> Storage {
        if case .built(let s)? = (try? URIParser.parse(b, base: 0))?.form { return s }
        return Storage(scheme: .sip, user: nil, password: nil, host: "", port: nil, parameters: SIPParameters(), headers: [], opaque: nil)
    }

    private var unique: Storage {
        mutating get {
            switch form {
            case .text(let b):
                let s = Self.components(b)
                form = .built(s)
                return s
            case .built(var s):
                // Let go of the enum's own reference first, or the box never looks unique.
                form = .text([])
                if !isKnownUniquelyReferenced(&s) { s = s.copy() }
                form = .built(s)
                return s
            }
        }
    }

    public var scheme: Scheme { get { storage.scheme } set { unique.scheme = newValue } }
    /// User part (for tel: the number), unescaped.
    public var user: String? { get { storage.user } set { unique.user = newValue } }
    public var password: String? { get { storage.password } set { unique.password = newValue } }
    /// Host name or address; IPv6 addresses are stored without brackets.
    public var host: String { get { storage.host } set { unique.host = newValue } }
    public var port: UInt16? { get { storage.port } set { unique.port = newValue } }
    public var parameters: SIPParameters { get { storage.parameters } set { unique.parameters = newValue } }
    /// `?name=value&...` headers, unescaped.
    public var headers: [SIPParameters.Parameter] { get { storage.headers } set { unique.headers = newValue } }
    /// For schemes other than sip/sips/tel: everything after `scheme:`.
    public var opaque: String? { get { storage.opaque } set { unique.opaque = newValue } }

    public init(scheme: Scheme = .sip, user: String? = nil, password: String? = nil, host: String,
                port: UInt16? = nil, parameters: SIPParameters = SIPParameters(),
                headers: [SIPParameters.Parameter] = []) {
        form = .built(Storage(scheme: scheme, user: user, password: password, host: host, port: port,
                              parameters: parameters, headers: headers, opaque: nil))
    }

    /// A received URI whose bytes `URIParser` has checked.
    init(checkedBytes bytes: ArraySlice<UInt8>) { form = .text(bytes) }

    /// An opaque URI of another scheme (`scheme:rest`, kept as written).
    init(scheme: Scheme, opaque: String) {
        form = .built(Storage(scheme: scheme, user: nil, password: nil, host: "", port: nil, parameters: SIPParameters(), headers: [], opaque: opaque))
    }

    public static func == (a: Self, b: Self) -> Bool {
        switch (a.form, b.form) {
        case (.built(let x), .built(let y)) where x === y: return true
        case (.text(let x), .text(let y)) where x == y: return true
        default: break
        }
        let x = a.storage, y = b.storage
        return x.scheme == y.scheme && x.user == y.user && x.password == y.password && x.host == y.host
            && x.port == y.port && x.parameters == y.parameters && x.headers == y.headers && x.opaque == y.opaque
    }

    public func hash(into h: inout Hasher) {
        let s = storage
        h.combine(s.scheme); h.combine(s.user); h.combine(s.password); h.combine(s.host)
        h.combine(s.port); h.combine(s.parameters); h.combine(s.headers); h.combine(s.opaque)
    }

    /// Parses a URI; throws ``SIPParseError`` with `.badURI` and the offset
    /// within the string.
    public init(_ string: String) throws(SIPParseError) {
        self = try URIParser.parse(Array(string.utf8)[...], base: 0)
    }

    /// Whether the URI carries `?headers` (read without making the
    /// components when its bytes hold no '?').
    var hasHeaders: Bool {
        if case .text(let b) = form, !b.contains(UInt8(ascii: "?")) { return false }
        return !headers.isEmpty
    }

    public var isSIP: Bool { scheme == .sip || scheme == .sips }

    /// The `transport` URI parameter, lower-cased.
    public var transportParameter: String? { parameters["transport"]??.lowercased() }

    /// `host` with brackets when it is an IPv6 address (for host:port forms).
    public var hostForURI: String { host.contains(":") ? "[\(host)]" : host }

    public var description: String {
        // The components once (a received URI makes them from its bytes on each read).
        let c = storage
        let (scheme, user, password, host, port, opaque) = (c.scheme, c.user, c.password, c.host, c.port, c.opaque)
        let hostForURI = host.contains(":") ? "[\(host)]" : host
        let (parameters, headers) = (c.parameters, c.headers)
        if let opaque { return "\(scheme):\(opaque)" }
        var s = "\(scheme):"
        if scheme == .tel {
            s += PercentEncoding.encode(user ?? host, allowing: PercentEncoding.telExtra)
        } else {
            if let user {
                s += PercentEncoding.encode(user, allowing: PercentEncoding.userExtra)
                if let password { s += ":" + PercentEncoding.encode(password, allowing: PercentEncoding.passwordExtra) }
                s += "@"
            }
            s += hostForURI
            if let port { s += ":\(port)" }
        }
        for p in parameters {
            s += ";" + PercentEncoding.encode(p.name, allowing: PercentEncoding.paramExtra)
            if let v = p.value { s += "=" + PercentEncoding.encode(v, allowing: PercentEncoding.paramExtra) }
        }
        for (i, h) in headers.enumerated() {
            s += (i == 0 ? "?" : "&") + PercentEncoding.encode(h.name, allowing: PercentEncoding.headerExtra)
            s += "=" + PercentEncoding.encode(h.value ?? "", allowing: PercentEncoding.headerExtra)
        }
        return s
    }
}
