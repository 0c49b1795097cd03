/// The seam between calls and the media engine: the call layer negotiates
/// (pure SDP), the media side opens sockets and keys and runs the audio.
/// SIPCore defines it; the daemon implements it with RTPMedia, and tests
/// with ``InMemoryCallMedia``.
public protocol CallMediaProvider: AnyObject, Sendable {
    /// What we offer and accept (codecs by priority, SRTP policy).
    var capabilities: MediaCapabilities { get }
    /// Opens a stream for one call on `localIP` (the address the far end reaches us at).
    func openSession(localIP: String) throws(SDPError) -> CallMediaSession
    /// False when the policy says calls need a headset and none is present.
    var headsetPresent: Bool { get }
}

/// One call's media.
public protocol CallMediaSession: AnyObject, Sendable {
    /// Our address, port and SDES keys, for the SDP we send.
    var local: LocalMediaEndpoint { get }
    /// Starts or updates the stream (new address, keys, codec, direction)
    /// without dropping the call; throws when the media side cannot do it.
    func apply(_ stream: NegotiatedStream) throws(SDPError)
    /// Whether this call has the headset (only the one active call does).
    func setActive(_ active: Bool)
    func close()
    /// Figures now (nil before media flows).
    var statistics: CallMediaStatistics? { get }
    /// Called (on any queue) when the media is dead: no RTP for the inactivity timeout.
    var onDead: (@Sendable (String) -> Void)? { get set }
    /// Called (on any queue) for each RFC 4733 digit received.
    var onDTMF: (@Sendable (Character) -> Void)? { get set }
    /// Sends digits as RFC 4733 events in the stream.
    func sendDTMF(_ digits: String)
}

/// Media that exists only as values: for the pure call tests.
public final class InMemoryCallMedia: CallMediaProvider, @unchecked Sendable {
    public let capabilities: MediaCapabilities
    public var headsetPresent = true
    public private(set) var sessions: [Session] = []

    public final class Session: CallMediaSession, @unchecked Sendable {
        public let local: LocalMediaEndpoint
        public private(set) var applied: [NegotiatedStream] = []
        public private(set) var active = false
        public private(set) var closed = false
        init(local: LocalMediaEndpoint) { self.local = local }
        public func apply(_ stream: NegotiatedStream) { applied.append(stream) }
        public func setActive(_ a: Bool) { active = a }
        public func close() { closed = true }
        public var statistics: CallMediaStatistics? { nil }
        public var onDead: (@Sendable (String) -> Void)?
        public var onDTMF: (@Sendable (Character) -> Void)?
        public private(set) var dtmfSent = ""
        public func sendDTMF(_ digits: String) { dtmfSent += digits }
    }

    public init(capabilities: MediaCapabilities) { self.capabilities = capabilities }

    public func openSession(localIP: String) -> CallMediaSession {
        let family: SDPAddress.Family = localIP.contains(":") ? .ipv6 : .ipv4
        let keys = Dictionary(uniqueKeysWithValues: SDESCrypto.Suite.allCases.map { ($0, [UInt8](repeating: UInt8(sessions.count + 1), count: $0.keyMaterialLength)) })
        let s = Session(local: LocalMediaEndpoint(address: SDPAddress(family, localIP), rtpPort: UInt16(20000 + sessions.count * 2), keys: keys))
        sessions.append(s)
        return s
    }
}

/// A call's media figures for the control API (from RTCP, the jitter buffer and the E-model).
public struct CallMediaStatistics: Sendable, Hashable, Codable {
    public var packetsSent = 0
    public var packetsReceived = 0
    public var packetsLost = 0
    public var jitterMs = 0.0
    public var rttMs: Double?
    public var jitterBufferMs = 0
    public var concealedFrames = 0
    /// Lost frames rebuilt from the next packet (Opus in-band FEC).
    public var recoveredFrames = 0
    /// Why a call sounded as it did: packets after their playout time,
    /// frames with nothing received yet, frames shed to cut delay, backlogs
    /// skipped, and audio device over-/underruns.
    public var latePackets = 0
    public var underruns = 0
    public var framesDroppedForDelay = 0
    public var jitterBufferResyncs = 0
    public var xruns = 0
    public var localMOS = 0.0
    public var intervalMOS = 0.0
    /// Packets refused: from another address than negotiated, or failing SRTP.
    public var foreignPackets = 0
    public var srtpFailures = 0
    public init() {}
}
