/// RFC 3264 offer/answer for one audio stream, as a pure function of the
/// offer, our capabilities and our endpoint (no sockets, no clock).
public struct SDPNegotiator: Sendable {
    public var capabilities: MediaCapabilities

    public init(capabilities: MediaCapabilities) { self.capabilities = capabilities }

    /// Answers `offer` (RFC 3264 §6). The first acceptable audio stream is
    /// taken; every other stream is answered with port 0 (rejected), as are
    /// audio streams offered with port 0. `localDirection` is what we want
    /// (sendrecv, or sendonly while we hold). Throws `.notAcceptable` (488)
    /// when no stream can be accepted, naming why.
    public func answer(_ offer: SessionDescription, local: LocalMediaEndpoint, origin: SessionDescription.Origin,
                       localDirection: MediaDirection = .sendrecv) throws(SDPError) -> (SessionDescription, NegotiatedStream) {
        var answer = SessionDescription(origin: origin, connection: local.address)
        var chosen: NegotiatedStream?
        var refusals: [String] = []
        let sessionDirection = offer.attributes.lazy.compactMap { $0.value == nil ? MediaDirection(rawValue: $0.name.lowercased()) : nil }.last
        for m in offer.media {
            var rejected = MediaDescription(media: m.media, port: 0, proto: m.proto, formats: m.formats)
            guard chosen == nil, m.media.lowercased() == "audio", m.port != 0 else {
                answer.media.append(rejected)
                continue
            }
            do throws(SDPError) {
                let (section, stream) = try answerAudio(m, session: offer, sessionDirection: sessionDirection, local: local, localDirection: localDirection)
                answer.media.append(section)
                chosen = stream
            } catch {
                refusals.append(error.reason)
                rejected.formats = m.formats
                answer.media.append(rejected)
            }
        }
        guard let chosen else {
            throw SDPError(.notAcceptable, refusals.first ?? "the offer has no audio stream")
        }
        return (answer, chosen)
    }

    private func answerAudio(_ m: MediaDescription, session: SessionDescription, sessionDirection: MediaDirection?, local: LocalMediaEndpoint,
                             localDirection: MediaDirection) throws(SDPError) -> (MediaDescription, NegotiatedStream) {
        let proto = m.proto.uppercased()
        guard proto == "RTP/AVP" || proto == "RTP/SAVP" || proto == "RTP/AVPF" || proto == "RTP/SAVPF" else {
            throw SDPError(.notAcceptable, "audio transport \(m.proto) is not supported (RTP/AVP or RTP/SAVP)")
        }
        guard let connection = m.connection ?? session.connection else {
            throw SDPError(.notAcceptable, "the audio stream has no connection address (c=)")
        }
        // SRTP per policy: a secure profile needs keys we can use; plain RTP may carry best-effort keys.
        var keys: SRTPKeys?
        var answerCrypto: SDESCrypto?
        let usable = m.cryptos.first { c in c.mki == nil && c.suite.map { capabilities.cryptoSuites.contains($0) } == true }
        switch (m.isSecureProfile, capabilities.srtp) {
        case (true, .disabled):
            throw SDPError(.notAcceptable, "SRTP (\(m.proto)) offered but use_srtp is disabled")
        case (false, .mandatory) where usable == nil:
            throw SDPError(.notAcceptable, "plain RTP offered but use_srtp is mandatory")
        case (true, _), (false, .optional), (false, .mandatory):
            if let c = usable, let suite = c.suite, let ours = local.keys[suite] {
                keys = SRTPKeys(suite: suite, local: ours, remote: c.keyMaterial)
                answerCrypto = SDESCrypto(tag: c.tag, suite: suite, keyMaterial: ours)
            } else if m.isSecureProfile {
                let offered = m.cryptos.map(\.suiteName)
                throw SDPError(.notAcceptable, "no SRTP crypto suite in common (offered: \(offered.isEmpty ? "none" : offered.joined(separator: ", ")))")
            }
        case (false, .disabled):
            break
        }
        // Our most preferred codec that the offer has, under the offerer's payload type.
        let offered = m.payloadTypes
        var codec: RTPMap?
        for mine in capabilities.codecs {
            if let (pt, map) = offered.first(where: { $0.1.map { mine.sameCodec(as: $0) } == true }), let map {
                codec = RTPMap(payloadType: pt, encoding: map.encoding, clockRate: map.clockRate, channels: map.channels)
                break
            }
        }
        guard let codec else {
            let names = offered.map { $0.1?.description ?? "pt \($0.0)" }
            throw SDPError(.notAcceptable, "no common codec (offered: \(names.joined(separator: ", ")); enabled: \(capabilities.codecs.map(\.description).joined(separator: ", ")))")
        }
        let te = capabilities.telephoneEvent
            ? offered.first { $0.1?.encoding.lowercased() == "telephone-event" && $0.1?.clockRate == 8000 }.map(\.0) : nil
        let cn = capabilities.comfortNoise && codec.clockRate == 8000
            ? offered.first { $0.1?.encoding.lowercased() == "cn" && $0.1?.clockRate == 8000 }.map(\.0) : nil
        let red = capabilities.redundancy ? m.redundancyPayloadType(carrying: codec) : nil

        // Direction: the offerer's send is our receive. c=0.0.0.0 (RFC 3264
        // §8.4, the hold SIP Server uses) means the offerer wants nothing
        // from us: we stop sending but keep the stream.
        var offeredDirection = m.direction(sessionDefault: sessionDirection)
        if connection.isUnspecified { offeredDirection = offeredDirection.intersection(.sendonly) }
        let direction = offeredDirection.reversed.intersection(localDirection)
        let rtcpMux = m.rtcpMux
        let stream = NegotiatedStream(
            remoteAddress: connection, remoteRTPPort: m.port,
            remoteRTCPPort: rtcpMux ? m.port : (m.rtcp?.port ?? m.port &+ 1), rtcpMux: rtcpMux, codec: codec,
            remoteFmtp: m.fmtp(for: codec.payloadType), telephoneEventPayloadType: te,
            ptime: Self.sanePtime(m.ptime) ?? capabilities.ptime, direction: direction, srtp: keys, comfortNoisePayloadType: cn,
            redundancyPayloadType: red)

        var section = MediaDescription(port: local.rtpPort, proto: m.proto,
                                       formats: [String(codec.payloadType)] + (red.map { [String($0)] } ?? []) + (cn.map { [String($0)] } ?? []) + (te.map { [String($0)] } ?? []))
        section.attributes = [SDPAttribute("rtpmap", "\(codec.payloadType) \(codec)")]
        if let red {
            section.attributes.append(SDPAttribute("rtpmap", "\(red) \(RTPMap.redundancy(red, carrying: codec))"))
            section.attributes.append(SDPAttribute("fmtp", "\(red) \(RTPMap.redundancyFormat(carrying: codec.payloadType))"))
        }
        if let cn { section.attributes.append(SDPAttribute("rtpmap", "\(cn) CN/8000")) }
        if let f = capabilities.fmtp[codec.description.lowercased()] ?? capabilities.fmtp[codec.description] {
            section.attributes.append(SDPAttribute("fmtp", "\(codec.payloadType) \(f)"))
        }
        if let te {
            section.attributes.append(SDPAttribute("rtpmap", "\(te) telephone-event/8000"))
            section.attributes.append(SDPAttribute("fmtp", "\(te) 0-16"))
        }
        section.attributes.append(SDPAttribute("ptime", String(capabilities.ptime)))
        if rtcpMux { section.attributes.append(SDPAttribute("rtcp-mux")) }
        if let answerCrypto { section.attributes.append(SDPAttribute("crypto", answerCrypto.attributeValue)) }
        section.setDirection(direction)
        return (section, stream)
    }

    /// A ptime we can send: 10–60 ms in 10 ms steps; nil otherwise (use ours).
    static func sanePtime(_ p: Int?) -> Int? {
        guard let p, p >= 10, p <= 60, p % 10 == 0 else { return nil }
        return p
    }
}
