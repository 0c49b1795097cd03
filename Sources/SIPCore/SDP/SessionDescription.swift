/// An SDP session description (RFC 8866) as a value: what the parser
/// produces and the serializer writes. Typed views (rtpmap, direction,
/// crypto ...) live in extensions; unknown lines and attributes are kept
/// so that nothing a peer sent is silently lost on a round trip.
public struct SessionDescription: Sendable, Hashable {
    /// `o=` (RFC 8866 §5.2). The session id stays the same for a call; the
    /// version goes up by one whenever our description changes (RFC 3264 §8).
    public struct Origin: Sendable, Hashable {
        public var username: String
        public var sessionID: UInt64
        public var sessionVersion: UInt64
        public var address: SDPAddress

        public init(username: String = "-", sessionID: UInt64, sessionVersion: UInt64, address: SDPAddress) {
            self.username = username
            self.sessionID = sessionID
            self.sessionVersion = sessionVersion
            self.address = address
        }
    }

    public var origin: Origin
    public var sessionName: String
    /// Session-level `c=`; media-level ones override it.
    public var connection: SDPAddress?
    /// `b=` lines, kept as written (`AS:64`, `TIAS:64000`).
    public var bandwidths: [String]
    /// `t=` start and stop (0 0 for the unbounded sessions SIP uses).
    public var timing: (start: UInt64, stop: UInt64)
    public var attributes: [SDPAttribute]
    public var media: [MediaDescription]
    /// Other session-level lines (`i=`, `u=`, `e=`, `p=`, `r=`, `z=`, `k=`), kept in order.
    public var otherLines: [String]

    public init(origin: Origin, sessionName: String = "-", connection: SDPAddress? = nil, bandwidths: [String] = [],
                timing: (start: UInt64, stop: UInt64) = (0, 0), attributes: [SDPAttribute] = [], media: [MediaDescription] = [],
                otherLines: [String] = []) {
        self.origin = origin
        self.sessionName = sessionName
        self.connection = connection
        self.bandwidths = bandwidths
        self.timing = timing
        self.attributes = attributes
        self.media = media
        self.otherLines = otherLines
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.origin == b.origin && a.sessionName == b.sessionName && a.connection == b.connection && a.bandwidths == b.bandwidths
            && a.timing.start == b.timing.start && a.timing.stop == b.timing.stop && a.attributes == b.attributes
            && a.media == b.media && a.otherLines == b.otherLines
    }

    public func hash(into h: inout Hasher) {
        h.combine(origin)
        h.combine(media)
    }
}

/// `IN IP4 192.0.2.1` / `IN IP6 2001:db8::1` (RFC 8866 §5.7; the TTL and
/// count suffixes of multicast are kept in `address` as written).
public struct SDPAddress: Sendable, Hashable, CustomStringConvertible {
    public enum Family: String, Sendable, Hashable { case ipv4 = "IP4", ipv6 = "IP6" }
    public var family: Family
    public var address: String

    public init(_ family: Family, _ address: String) {
        self.family = family
        self.address = address
    }

    /// RFC 3264 §8.4 / RFC 2543 hold: `c=IN IP4 0.0.0.0`.
    public var isUnspecified: Bool { address == "0.0.0.0" || address == "::" }

    public var description: String { "IN \(family.rawValue) \(address)" }
}

/// One `a=` line: `a=name` or `a=name:value`.
public struct SDPAttribute: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var value: String?

    public init(_ name: String, _ value: String? = nil) {
        self.name = name
        self.value = value
    }

    public var description: String { value.map { "\(name):\($0)" } ?? name }
}

/// One `m=` section (RFC 8866 §5.14) with its `c=`, `b=` and `a=` lines.
public struct MediaDescription: Sendable, Hashable {
    public var media: String
    /// 0 = the stream is rejected or disabled (RFC 3264 §6, §8.2).
    public var port: UInt16
    public var portCount: Int?
    /// `RTP/AVP`, `RTP/SAVP`, ...
    public var proto: String
    /// Payload type numbers for RTP, as written.
    public var formats: [String]
    public var connection: SDPAddress?
    public var bandwidths: [String]
    public var attributes: [SDPAttribute]
    /// Other media-level lines (`i=`, `k=`), kept in order.
    public var otherLines: [String]

    public init(media: String = "audio", port: UInt16, portCount: Int? = nil, proto: String = "RTP/AVP", formats: [String],
                connection: SDPAddress? = nil, bandwidths: [String] = [], attributes: [SDPAttribute] = [], otherLines: [String] = []) {
        self.media = media
        self.port = port
        self.portCount = portCount
        self.proto = proto
        self.formats = formats
        self.connection = connection
        self.bandwidths = bandwidths
        self.attributes = attributes
        self.otherLines = otherLines
    }

    /// The first value of attribute `name` (nil when absent or valueless).
    public func attribute(_ name: String) -> String? {
        attributes.first { $0.name.lowercased() == name }?.value
    }

    /// True when a property attribute (`a=rtcp-mux`) is present.
    public func has(_ name: String) -> Bool { attributes.contains { $0.name.lowercased() == name } }

    /// Every value of attribute `name`.
    public func attributes(_ name: String) -> [String] {
        attributes.compactMap { $0.name.lowercased() == name ? $0.value : nil }
    }
}
