import Dispatch
import RTPMedia
import SIPCore

/// The call layer's media seam implemented with RTPMedia: one
/// ``MediaStream`` per call on the engine's port range, SDES keys from the
/// system CSPRNG, and the headset (audio thread) for the active call.
final class RTPMediaProvider: CallMediaProvider, @unchecked Sendable {
    let engine: MediaEngine
    private let settings: CallConfiguration

    init(settings: CallConfiguration) {
        self.settings = settings
        engine = MediaEngine(ports: settings.rtpPorts, devices: settings.devices)
        // libsrtp's self-tests run at start, not in the first call's answer (a failure is reported per call).
        if settings.srtp != .disabled { try? SRTPSession.initialiseLibrary() }
    }

    var capabilities: MediaCapabilities { settings.capabilities }
    var headsetPresent: Bool { engine.headsetPresent() }

    func openSession(localIP: String) throws(SDPError) -> CallMediaSession {
        guard let address = SocketAddress(ip: localIP, port: 0) else { throw SDPError(.notAcceptable, "no usable local address for media (\(localIP))") }
        do throws(MediaError) {
            let stream = try engine.openStream(address: address, opus: settings.opus)
            stream.inactivityTimeout = settings.rtpInactivityTimeout
            return Session(stream: stream, engine: engine, family: address.family == .ipv6 ? .ipv6 : .ipv4, advertised: settings.publicAddress)
        } catch {
            throw SDPError(.notAcceptable, error.reason)
        }
    }

    final class Session: CallMediaSession, @unchecked Sendable {
        let stream: MediaStream
        let engine: MediaEngine
        let local: LocalMediaEndpoint
        var onDTMF: (@Sendable (Character) -> Void)? {
            didSet { stream.onDTMF = onDTMF }
        }

        func sendDTMF(_ digits: String) { stream.sendDTMF(digits) }

        var onDead: (@Sendable (String) -> Void)? {
            didSet {
                let timeout = stream.inactivityTimeout
                stream.onInactive = { [onDead] in onDead?("no RTP for \(timeout.map { "\($0)" } ?? "too long")") }
            }
        }

        init(stream: MediaStream, engine: MediaEngine, family: SDPAddress.Family, advertised: String?) {
            self.stream = stream
            self.engine = engine
            var keys: [SDESCrypto.Suite: [UInt8]] = [:]
            var rng = SystemRandomNumberGenerator()
            for suite in SDESCrypto.Suite.allCases { keys[suite] = (0..<suite.keyMaterialLength).map { _ in UInt8.random(in: 0...255, using: &rng) } }
            local = LocalMediaEndpoint(address: SDPAddress(family, advertised ?? stream.localRTP.ip), rtpPort: stream.localRTP.port, keys: keys)
        }

        func apply(_ s: NegotiatedStream) throws(SDPError) {
            guard let remote = SocketAddress(ip: s.remoteAddress.address, port: s.remoteRTPPort),
                  let remoteRTCP = SocketAddress(ip: s.remoteAddress.address, port: s.remoteRTCPPort) else {
                throw SDPError(.notAcceptable, "media address \(s.remoteAddress.address) is not an IP address")
            }
            let codec: StreamParameters.Codec
            switch s.codec.encoding.lowercased() {
            case "pcmu": codec = .pcmu
            case "pcma": codec = .pcma
            case "opus": codec = .opus(fmtp: s.remoteFmtp)
            default: throw SDPError(.notAcceptable, "codec \(s.codec) is not implemented")
            }
            var srtp: (suite: SRTPSuite, local: [UInt8], remote: [UInt8])?
            if let k = s.srtp {
                srtp = (Self.suite(k.suite), k.local, k.remote)
            }
            let p = StreamParameters(remote: remote, remoteRTCP: remoteRTCP, rtcpMux: s.rtcpMux, codec: codec, payloadType: s.codec.payloadType,
                                     telephoneEventPayloadType: s.telephoneEventPayloadType, ptimeMs: s.ptime,
                                     sends: s.direction.sends && !s.remoteAddress.isUnspecified, receives: s.direction.receives, srtp: srtp,
                                     comfortNoisePayloadType: s.comfortNoisePayloadType, redundancyPayloadType: s.redundancyPayloadType)
            do throws(MediaError) {
                try stream.apply(p)
            } catch {
                throw SDPError(.notAcceptable, error.reason)
            }
        }

        static func suite(_ s: SDESCrypto.Suite) -> SRTPSuite {
            switch s {
            case .aesCM128HmacSha1_80: .aesCM128HmacSha1_80
            case .aesCM128HmacSha1_32: .aesCM128HmacSha1_32
            case .aeadAES128GCM: .aeadAES128GCM
            case .aeadAES256GCM: .aeadAES256GCM
            }
        }

        func setActive(_ active: Bool) {
            if active { engine.activate(stream) } else { engine.deactivate(stream) }
        }

        func close() {
            engine.deactivate(stream)
            stream.close()
        }

        var statistics: CallMediaStatistics? {
            guard stream.parameters != nil else { return nil }
            let s = stream.statistics()
            var out = CallMediaStatistics()
            out.packetsSent = s.packetsSent
            out.packetsReceived = s.packetsReceived
            out.packetsLost = s.packetsLost
            out.jitterMs = s.jitterMs
            out.rttMs = s.rttMs
            out.jitterBufferMs = s.jitterBufferMs
            out.concealedFrames = s.concealedFrames
            out.recoveredFrames = s.recoveredFrames
            out.latePackets = s.latePackets
            out.underruns = s.underruns
            out.framesDroppedForDelay = s.framesDroppedForDelay
            out.jitterBufferResyncs = s.jitterBufferResyncs
            out.xruns = s.xruns
            out.localMOS = s.localMOS
            out.intervalMOS = s.intervalMOS
            out.foreignPackets = s.foreignPackets
            out.srtpFailures = s.srtpFailures
            return out
        }
    }
}
