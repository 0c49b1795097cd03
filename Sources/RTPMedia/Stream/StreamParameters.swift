import NetSupport

/// What the engine needs to run a stream: the media protocol's outcome in
/// RTPMedia's own terms (the call layer maps its negotiation onto this).
public struct StreamParameters: Sendable, Hashable {
    public enum Codec: Sendable, Hashable {
        case pcmu, pcma
        /// Opus with the far end's fmtp.
        case opus(fmtp: String?)
    }

    public var remote: SocketAddress
    public var remoteRTCP: SocketAddress
    public var rtcpMux: Bool
    public var codec: Codec
    public var payloadType: UInt8
    public var telephoneEventPayloadType: UInt8?
    /// RFC 3389 comfort noise payload type, when negotiated.
    public var comfortNoisePayloadType: UInt8?
    /// RFC 2198 redundant audio ("red") payload type carrying this codec,
    /// when negotiated: sent while the far end reports loss, always received.
    public var redundancyPayloadType: UInt8?
    public var ptimeMs: Int
    public var sends: Bool
    public var receives: Bool
    /// Suite and keys: ours for what we send, theirs for what we receive.
    public var srtp: (suite: SRTPSuite, local: [UInt8], remote: [UInt8])?

    public init(remote: SocketAddress, remoteRTCP: SocketAddress, rtcpMux: Bool, codec: Codec, payloadType: UInt8,
                telephoneEventPayloadType: UInt8? = nil, ptimeMs: Int = 20, sends: Bool = true, receives: Bool = true,
                srtp: (suite: SRTPSuite, local: [UInt8], remote: [UInt8])? = nil, comfortNoisePayloadType: UInt8? = nil,
                redundancyPayloadType: UInt8? = nil) {
        self.comfortNoisePayloadType = comfortNoisePayloadType
        self.redundancyPayloadType = redundancyPayloadType
        self.remote = remote
        self.remoteRTCP = remoteRTCP
        self.rtcpMux = rtcpMux
        self.codec = codec
        self.payloadType = payloadType
        self.telephoneEventPayloadType = telephoneEventPayloadType
        self.ptimeMs = ptimeMs
        self.sends = sends
        self.receives = receives
        self.srtp = srtp
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.remote == b.remote && a.remoteRTCP == b.remoteRTCP && a.rtcpMux == b.rtcpMux && a.codec == b.codec && a.payloadType == b.payloadType
            && a.telephoneEventPayloadType == b.telephoneEventPayloadType && a.comfortNoisePayloadType == b.comfortNoisePayloadType
            && a.redundancyPayloadType == b.redundancyPayloadType && a.ptimeMs == b.ptimeMs && a.sends == b.sends && a.receives == b.receives
            && a.srtp?.suite == b.srtp?.suite && a.srtp?.local == b.srtp?.local && a.srtp?.remote == b.srtp?.remote
    }

    public func hash(into h: inout Hasher) { h.combine(remote); h.combine(payloadType) }

    /// PCM rate the device runs at for this codec (Opus: wideband voice at 16 kHz).
    public var pcmRate: Int {
        switch codec {
        case .pcmu, .pcma: 8000
        case .opus: 16000
        }
    }

    public var rtpClockRate: Int {
        switch codec {
        case .pcmu, .pcma: 8000
        case .opus: 48000
        }
    }

    public var codecName: String {
        switch codec {
        case .pcmu: "PCMU/8000"
        case .pcma: "PCMA/8000"
        case .opus: "opus/48000/2"
        }
    }
}

/// A stream's figures for the control API, RTCP and the E-model.
public struct StreamStatistics: Sendable, Hashable {
    public var packetsSent = 0
    public var packetsReceived = 0
    public var packetsLost = 0
    public var jitterMs = 0.0
    public var rttMs: Double?
    public var concealedFrames = 0
    public var recoveredFrames = 0
    public var jitterBufferMs = 0
    /// Packets that came after their playout time (counted, not played).
    public var latePackets = 0
    /// Frames played with nothing received for them yet (the buffer grows by one);
    /// a gap still open is not counted (``JitterBuffer/pendingUnderruns``).
    public var underruns = 0
    /// Frames shed to bring the delay down, and backlogs skipped in one jump.
    public var framesDroppedForDelay = 0
    public var jitterBufferResyncs = 0
    /// Audio device over- and underruns while the stream had the headset.
    public var xruns = 0
    public var srtpFailures = 0
    /// Packets dropped because they came from somewhere other than the negotiated address.
    public var foreignPackets = 0
    public var localMOS = 0.0
    public var intervalMOS = 0.0
    public init() {}
}
