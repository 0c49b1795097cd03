extension SDPNegotiator {
    /// Payload types of our offer: static ones where RFC 3551 has them, else
    /// dynamic from 96; then one RFC 2198 "red" per codec (in the same
    /// order, see ``offeredRedundancy``), CN, telephone-event last.
    public var offeredPayloadTypes: [RTPMap] {
        var next: UInt8 = 96
        var out: [RTPMap] = []
        func dynamic() -> UInt8 {
            if next == Self.telephoneEventType { next += 1 }
            defer { next += 1 }
            return next
        }
        for c in capabilities.codecs {
            if let s = (0...18).lazy.compactMap({ RTPMap.staticType(UInt8($0)) }).first(where: { $0.sameCodec(as: c) }) {
                out.append(s)
            } else {
                out.append(RTPMap(payloadType: dynamic(), encoding: c.encoding, clockRate: c.clockRate, channels: c.channels))
            }
        }
        if capabilities.redundancy {
            for c in out where next < 128 {
                out.append(RTPMap.redundancy(dynamic(), carrying: c))
            }
        }
        if capabilities.comfortNoise, capabilities.codecs.contains(where: { $0.clockRate == 8000 }) {
            out.append(RTPMap(payloadType: 13, encoding: "CN", clockRate: 8000))
        }
        if capabilities.telephoneEvent { out.append(RTPMap(payloadType: Self.telephoneEventType, encoding: "telephone-event", clockRate: 8000)) }
        return out
    }

    static let telephoneEventType: UInt8 = 101

    /// The "red" payload types of our offer and the codec each carries.
    public var offeredRedundancy: [(red: UInt8, primary: UInt8)] { redundancy(in: offeredPayloadTypes) }

    /// Pairs the "red" types of `pts` (our offer's) with the codecs they follow, in order.
    private func redundancy(in pts: [RTPMap]) -> [(red: UInt8, primary: UInt8)] {
        zip(pts.filter(\.isRedundancy), pts.prefix(capabilities.codecs.count)).map { ($0.payloadType, $1.payloadType) }
    }

    /// Our offer (RFC 3264 §5): one audio stream with every enabled codec,
    /// rtcp-mux offered, and per the SRTP policy RTP/SAVP (mandatory) or
    /// RTP/AVP with best-effort `a=crypto` lines (optional), one per suite.
    public func offer(local: LocalMediaEndpoint, origin: SessionDescription.Origin, direction: MediaDirection = .sendrecv) -> SessionDescription {
        let pts = offeredPayloadTypes
        let redundancy = redundancy(in: pts)
        var m = MediaDescription(port: local.rtpPort, proto: capabilities.srtp == .mandatory ? "RTP/SAVP" : "RTP/AVP",
                                 formats: pts.map { String($0.payloadType) })
        for p in pts {
            m.attributes.append(SDPAttribute("rtpmap", "\(p.payloadType) \(p)"))
            if p.encoding == "telephone-event" {
                m.attributes.append(SDPAttribute("fmtp", "\(p.payloadType) 0-16"))
            } else if let r = redundancy.first(where: { $0.red == p.payloadType }) {
                m.attributes.append(SDPAttribute("fmtp", "\(r.red) \(RTPMap.redundancyFormat(carrying: r.primary))"))
            } else if let f = capabilities.fmtp[p.description.lowercased()] ?? capabilities.fmtp[p.description] {
                m.attributes.append(SDPAttribute("fmtp", "\(p.payloadType) \(f)"))
            }
        }
        m.attributes.append(SDPAttribute("ptime", String(capabilities.ptime)))
        m.attributes.append(SDPAttribute("rtcp-mux"))
        if capabilities.srtp != .disabled {
            var tag = 1
            for suite in capabilities.cryptoSuites {
                guard let key = local.keys[suite] else { continue }
                m.attributes.append(SDPAttribute("crypto", SDESCrypto(tag: tag, suite: suite, keyMaterial: key).attributeValue))
                tag += 1
            }
        }
        m.setDirection(direction)
        return SessionDescription(origin: origin, connection: local.address, media: [m])
    }

    /// Applies the answer to our `offer` (RFC 3264 §7). Throws
    /// `.answerMismatch` when the answer does not fit the offer and
    /// `.notAcceptable` when it rejected the audio stream or breaks the SRTP policy.
    public func accept(answer: SessionDescription, to offer: SessionDescription, local: LocalMediaEndpoint) throws(SDPError) -> NegotiatedStream {
        guard answer.media.count == offer.media.count, let ours = offer.media.first, let m = answer.media.first else {
            throw SDPError(.answerMismatch, "the answer has \(answer.media.count) media streams for the offer's \(offer.media.count)")
        }
        guard m.port != 0 else { throw SDPError(.notAcceptable, "the far end rejected the audio stream (port 0)") }
        guard let connection = m.connection ?? answer.connection else {
            throw SDPError(.notAcceptable, "the answer's audio stream has no connection address (c=)")
        }
        let offered = ours.payloadTypes.compactMap { $0.1 }
        // The answer's first codec that we offered (by payload type, else by name).
        var codec: RTPMap?
        for (pt, map) in m.payloadTypes {
            if let o = offered.first(where: { $0.payloadType == pt && (map == nil || map!.sameCodec(as: $0)) }) ?? map.flatMap({ a in offered.first { $0.sameCodec(as: a) } }),
               o.encoding.lowercased() != "telephone-event", o.encoding.lowercased() != "cn", !o.isRedundancy {
                codec = RTPMap(payloadType: pt, encoding: o.encoding, clockRate: o.clockRate, channels: o.channels)
                break
            }
        }
        guard let codec else { throw SDPError(.answerMismatch, "the answer names no codec we offered") }
        var keys: SRTPKeys?
        if let c = m.cryptos.first {
            guard let mine = ours.cryptos.first(where: { $0.tag == c.tag }), let suite = mine.suite, c.suiteName == mine.suiteName, c.mki == nil else {
                throw SDPError(.answerMismatch, "the answer's crypto tag \(c.tag) \(c.suiteName) matches none we offered")
            }
            keys = SRTPKeys(suite: suite, local: mine.keyMaterial, remote: c.keyMaterial)
        } else if capabilities.srtp == .mandatory || m.isSecureProfile {
            throw SDPError(.notAcceptable, "SRTP is mandatory but the answer carries no usable a=crypto")
        }
        let te = m.payloadTypes.first { $0.1?.encoding.lowercased() == "telephone-event" }.map(\.0)
        let red = capabilities.redundancy ? m.redundancyPayloadType(carrying: codec) : nil
        let cn = codec.clockRate == 8000 ? m.payloadTypes.first { $0.1?.encoding.lowercased() == "cn" && $0.1?.clockRate == 8000 }.map(\.0) : nil
        var remoteDirection = m.direction(sessionDefault: nil)
        if connection.isUnspecified { remoteDirection = remoteDirection.intersection(.sendonly) }
        let direction = ours.direction().intersection(remoteDirection.reversed)
        let rtcpMux = m.rtcpMux && ours.rtcpMux
        return NegotiatedStream(remoteAddress: connection, remoteRTPPort: m.port,
                                remoteRTCPPort: rtcpMux ? m.port : (m.rtcp?.port ?? m.port &+ 1), rtcpMux: rtcpMux, codec: codec,
                                remoteFmtp: m.fmtp(for: codec.payloadType), telephoneEventPayloadType: te,
                                ptime: Self.sanePtime(m.ptime) ?? capabilities.ptime, direction: direction, srtp: keys, comfortNoisePayloadType: cn,
                                redundancyPayloadType: red)
    }
}

/// Keeps `o=` right across a call (RFC 3264 §8): the session id fixed, the
/// version up by one exactly when the body we send changes.
public struct SDPOriginTracker: Sendable {
    public private(set) var origin: SessionDescription.Origin
    private var lastBody: String?
    /// The last description stamped (what the far end holds of us): a
    /// session refresh re-offers it unchanged, o= version and all.
    public private(set) var last: SessionDescription?

    /// `sessionID` should be random (the caller draws it: randomness is injected).
    public init(sessionID: UInt64, address: SDPAddress, username: String = "sipendpointd") {
        origin = SessionDescription.Origin(username: username, sessionID: sessionID, sessionVersion: sessionID % 1_000_000, address: address)
    }

    /// Stamps `description` with our origin, bumping the version if its content changed since the last one sent.
    public mutating func stamp(_ description: SessionDescription) -> SessionDescription {
        var d = description
        d.origin = origin
        let body = d.serialized
        if let last = lastBody, last != body {
            origin.sessionVersion += 1
            d.origin = origin
        }
        lastBody = d.serialized
        last = d
        return d
    }
}
