/// Whether and how SRTP is used (Genesys `sipendpoint.system.security.use_srtp`).
public enum SRTPPolicy: String, Sendable, Hashable {
    /// Never offers or accepts keys; an RTP/SAVP offer is refused.
    case disabled
    /// Offers RTP/AVP with `a=crypto` (best-effort SDES) and accepts either.
    case optional
    /// Offers RTP/SAVP; a plain RTP offer or answer is refused (488).
    case mandatory
}

/// What this endpoint can do for audio, in preference order.
public struct MediaCapabilities: Sendable, Hashable {
    /// Enabled codecs, most preferred first. Payload types for our offers:
    /// the static one (RFC 3551) when the codec has one, else from 96 up.
    public var codecs: [RTPMap]
    /// Our `a=fmtp` per codec (keyed by ``RTPMap/description``, e.g. `opus/48000/2`).
    public var fmtp: [String: String]
    /// RFC 4733 telephone-event/8000 offered and accepted.
    public var telephoneEvent: Bool
    /// RFC 3389 comfort noise (CN/8000, static type 13) offered and accepted
    /// with 8 kHz codecs: we play the noise the far end describes during its
    /// silences (we never send CN: without our own VAD there is nothing to describe).
    public var comfortNoise = true
    /// RFC 2198 redundant audio ("red", one per codec, naming it as every
    /// block) offered and accepted: the media engine sends it while the far
    /// end reports loss and plays a lost frame from the next packet's copy.
    public var redundancy = true
    public var srtp: SRTPPolicy
    /// SDES suites in preference order.
    public var cryptoSuites: [SDESCrypto.Suite]
    /// Packetization we send, ms.
    public var ptime: Int

    public init(codecs: [RTPMap], fmtp: [String: String] = [:], telephoneEvent: Bool = true, srtp: SRTPPolicy = .disabled,
                cryptoSuites: [SDESCrypto.Suite] = SDESCrypto.Suite.allCases, ptime: Int = 20) {
        self.codecs = codecs
        self.fmtp = fmtp
        self.telephoneEvent = telephoneEvent
        self.srtp = srtp
        self.cryptoSuites = cryptoSuites
        self.ptime = ptime
    }
}

/// Where our end of the stream is, as the media engine opened it, and the
/// keys it drew (one per suite it may offer or answer with).
public struct LocalMediaEndpoint: Sendable, Hashable {
    public var address: SDPAddress
    public var rtpPort: UInt16
    public var keys: [SDESCrypto.Suite: [UInt8]]

    public init(address: SDPAddress, rtpPort: UInt16, keys: [SDESCrypto.Suite: [UInt8]] = [:]) {
        self.address = address
        self.rtpPort = rtpPort
        self.keys = keys
    }
}

/// SRTP keys agreed for a stream: ours protect what we send, the remote's
/// what we receive. Kept out of every description.
public struct SRTPKeys: Sendable, Hashable, CustomStringConvertible {
    public var suite: SDESCrypto.Suite
    public var local: [UInt8]
    public var remote: [UInt8]
    public var description: String { "\(suite.rawValue) keys <redacted>" }
}

/// The outcome of offer/answer for the audio stream: what the call layer
/// hands the media engine (the seam between the two).
public struct NegotiatedStream: Sendable, Hashable {
    /// Where to send RTP; the address is unspecified (0.0.0.0) while the remote holds old-style.
    public var remoteAddress: SDPAddress
    public var remoteRTPPort: UInt16
    public var remoteRTCPPort: UInt16
    public var rtcpMux: Bool
    /// The codec we send and expect, with the payload type used on the wire.
    public var codec: RTPMap
    /// The remote's fmtp for that codec (what it wants to receive).
    public var remoteFmtp: String?
    public var telephoneEventPayloadType: UInt8?
    /// The packetization to send, ms.
    public var ptime: Int
    /// Our side's direction: whether we send and whether we receive.
    public var direction: MediaDirection
    public var srtp: SRTPKeys?
    /// RFC 3389 CN payload type when negotiated.
    public var comfortNoisePayloadType: UInt8? = nil
    /// RFC 2198 "red" payload type carrying `codec`, when negotiated.
    public var redundancyPayloadType: UInt8? = nil
}
