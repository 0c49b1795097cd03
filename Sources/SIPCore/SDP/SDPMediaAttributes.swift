/// RFC 3264 §5.1 stream direction (`a=sendrecv` and friends).
public enum MediaDirection: String, Sendable, Hashable, CaseIterable {
    case sendrecv, sendonly, recvonly, inactive

    public var sends: Bool { self == .sendrecv || self == .sendonly }
    public var receives: Bool { self == .sendrecv || self == .recvonly }

    public init(sends: Bool, receives: Bool) {
        switch (sends, receives) {
        case (true, true): self = .sendrecv
        case (true, false): self = .sendonly
        case (false, true): self = .recvonly
        case (false, false): self = .inactive
        }
    }

    /// The direction an answer gives to a stream offered with this one:
    /// the offerer's send is our receive (RFC 3264 §6.1).
    public var reversed: MediaDirection { MediaDirection(sends: receives, receives: sends) }

    /// Both sides' wishes combined (we hold: we do not send, nor want to receive ...).
    public func intersection(_ other: MediaDirection) -> MediaDirection {
        MediaDirection(sends: sends && other.sends, receives: receives && other.receives)
    }
}

/// `a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]` (RFC 8866 §6.6),
/// or the static assignment of RFC 3551 for payload types 0–95 without one.
public struct RTPMap: Sendable, Hashable, CustomStringConvertible {
    public var payloadType: UInt8
    public var encoding: String
    public var clockRate: Int
    public var channels: Int

    public init(payloadType: UInt8, encoding: String, clockRate: Int, channels: Int = 1) {
        self.payloadType = payloadType
        self.encoding = encoding
        self.clockRate = clockRate
        self.channels = channels
    }

    /// RFC 2198 redundant audio's encoding name.
    public static let redundancyEncoding = "red"
    public var isRedundancy: Bool { encoding.lowercased() == Self.redundancyEncoding }

    /// The "red" of `codec`'s clock and channels under payload type `pt`.
    static func redundancy(_ pt: UInt8, carrying codec: RTPMap) -> RTPMap {
        RTPMap(payloadType: pt, encoding: redundancyEncoding, clockRate: codec.clockRate, channels: codec.channels)
    }

    /// The fmtp of a "red" whose one redundant block and primary are both `pt` (RFC 2198 §5).
    static func redundancyFormat(carrying pt: UInt8) -> String { "\(pt)/\(pt)" }

    /// `PCMU/8000`, `opus/48000/2`: the Genesys codec key form.
    public var description: String { channels > 1 ? "\(encoding)/\(clockRate)/\(channels)" : "\(encoding)/\(clockRate)" }

    /// True when both name the same codec (encoding names are case-insensitive).
    public func sameCodec(as other: RTPMap) -> Bool {
        encoding.lowercased() == other.encoding.lowercased() && clockRate == other.clockRate && channels == other.channels
    }

    /// RFC 3551 Table 4: the static audio payload types we may see without rtpmap.
    public static func staticType(_ pt: UInt8) -> RTPMap? {
        switch pt {
        case 0: RTPMap(payloadType: 0, encoding: "PCMU", clockRate: 8000)
        case 3: RTPMap(payloadType: 3, encoding: "GSM", clockRate: 8000)
        case 4: RTPMap(payloadType: 4, encoding: "G723", clockRate: 8000)
        case 8: RTPMap(payloadType: 8, encoding: "PCMA", clockRate: 8000)
        case 9: RTPMap(payloadType: 9, encoding: "G722", clockRate: 8000)
        case 13: RTPMap(payloadType: 13, encoding: "CN", clockRate: 8000)
        case 18: RTPMap(payloadType: 18, encoding: "G729", clockRate: 8000)
        default: nil
        }
    }
}

/// `a=rtcp:<port> [IN IP4 <address>]` (RFC 3605).
public struct RTCPAttribute: Sendable, Hashable {
    public var port: UInt16
    public var address: SDPAddress?
}

extension MediaDescription {
    /// The stream's direction; sendrecv when none is written (RFC 3264 §5.1),
    /// falling back to the session-level attribute the caller passes.
    public func direction(sessionDefault: MediaDirection? = nil) -> MediaDirection {
        for a in attributes.reversed() where a.value == nil {
            if let d = MediaDirection(rawValue: a.name.lowercased()) { return d }
        }
        return sessionDefault ?? .sendrecv
    }

    /// Replaces any direction attribute with `d`.
    public mutating func setDirection(_ d: MediaDirection) {
        attributes.removeAll { $0.value == nil && MediaDirection(rawValue: $0.name.lowercased()) != nil }
        attributes.append(SDPAttribute(d.rawValue))
    }

    /// rtpmap of a payload type: its `a=rtpmap`, else the static RFC 3551 one.
    public func rtpMap(for pt: UInt8) -> RTPMap? {
        for v in attributes("rtpmap") {
            guard let m = Self.parseRTPMap(v), m.payloadType == pt else { continue }
            return m
        }
        return RTPMap.staticType(pt)
    }

    /// Every format that is an RTP payload type, with its rtpmap when known.
    public var payloadTypes: [(UInt8, RTPMap?)] {
        formats.compactMap { f in UInt8(f).flatMap { $0 <= 127 ? ($0, rtpMap(for: $0)) : nil } }
    }

    /// `a=fmtp:<pt> <parameters>` of a payload type.
    public func fmtp(for pt: UInt8) -> String? {
        let prefix = "\(pt) "
        return attributes("fmtp").first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)).trimmingWhitespace }
    }

    /// The RFC 2198 "red" payload type of this stream whose blocks are all
    /// `codec` (its fmtp lists only `codec`'s payload type: `0/0`, `111/111`).
    /// Red of mixed codecs is not taken: we repeat the frame we send.
    public func redundancyPayloadType(carrying codec: RTPMap) -> UInt8? {
        payloadTypes.first { pt, map in
            guard let map, map.isRedundancy, map.clockRate == codec.clockRate, let f = fmtp(for: pt) else { return false }
            let blocks = f.split(separator: "/").map { String($0).trimmingWhitespace }
            return !blocks.isEmpty && blocks.allSatisfy { $0 == String(codec.payloadType) }
        }?.0
    }

    public var ptime: Int? { attribute("ptime").flatMap { Int($0.trimmingWhitespace) } }
    public var maxptime: Int? { attribute("maxptime").flatMap { Int($0.trimmingWhitespace) } }
    public var rtcpMux: Bool { has("rtcp-mux") }

    public var rtcp: RTCPAttribute? {
        guard let v = attribute("rtcp") else { return nil }
        let parts = v.split(separator: " ")
        guard let first = parts.first, let port = UInt16(first) else { return nil }
        var address: SDPAddress?
        if parts.count == 4, parts[1] == "IN", let f = SDPAddress.Family(rawValue: String(parts[2])) { address = SDPAddress(f, String(parts[3])) }
        return RTCPAttribute(port: port, address: address)
    }

    /// The SDES keys offered for this stream (RFC 4568); lines that do not parse are skipped.
    public var cryptos: [SDESCrypto] { attributes("crypto").compactMap { try? SDESCrypto(parsing: $0) } }

    /// True for RTP/SAVP and RTP/SAVPF.
    public var isSecureProfile: Bool { proto.uppercased().hasPrefix("RTP/SAVP") }

    static func parseRTPMap(_ v: String) -> RTPMap? {
        let parts = v.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, let pt = UInt8(parts[0]), pt <= 127 else { return nil }
        let codec = parts[1].split(separator: "/")
        guard codec.count >= 2, codec.count <= 3, !codec[0].isEmpty, let rate = Int(codec[1]), rate > 0, rate <= 1_000_000 else { return nil }
        let channels = codec.count == 3 ? Int(codec[2]) : 1
        guard let channels, channels >= 1, channels <= 8 else { return nil }
        return RTPMap(payloadType: pt, encoding: String(codec[0]), clockRate: rate, channels: channels)
    }
}
