import Dispatch
import NetSupport
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One call's audio stream: an RTP socket pair (even port, odd port for
/// RTCP; RTP's alone with rtcp-mux), the receive path on a Dispatch read
/// source (SRTP check, source check, RTP parse, into a lock-free packet
/// ring), and the audio path run by the ``AudioThread`` each period (ring
/// into the jitter buffer, decode/conceal for playback, encode/protect/send
/// of the captured frame). Symmetric RTP: we send from the port we receive on.
///
/// `@unchecked Sendable` boundary: `network` state is touched on `queue`
/// only, `audio` state on the audio thread only; what crosses (the current
/// parameters, counters) goes through a Mutex or atomics.
public final class MediaStream: AudioPeriodHandler, @unchecked Sendable {
    public let localRTP: SocketAddress
    public let localRTCP: SocketAddress
    public let queue: DispatchQueue
    let rtp: ReadSource
    let rtcp: ReadSource
    let packets = PacketRing()
    let ssrc: UInt32
    let cname: String
    let clock: @Sendable () -> Int64

    /// Network side (on `queue`).
    struct Network {
        var parameters: StreamParameters?
        /// The negotiated remote in kernel form: received sources are compared with it.
        var remote: RawSocketAddress?
        var inbound: SRTPSession?
        /// The far end's keys before a re-INVITE changed them, and until when
        /// (µs) they still open packets: those sent before the change may
        /// arrive after it.
        var previousInbound: (session: SRTPSession, until: Int64)?
        var rtcpOut: SRTPSession?
        var stats = RTPReceiveStatistics()
        var lastSRMiddle: UInt32 = 0
        var lastSRAt: Int64 = 0
        var rttMs: Double?
        var lastPacketAt: Int64 = 0
        var lastDTMFTimestamp: UInt32?
        var foreign = 0
        var intervalLossPercent = 0.0
        /// Sequence numbers received of `windowSSRC`'s stream (RFC 2198 copies).
        var window = SequenceWindow()
        var windowSSRC: UInt32?
        /// Lost packets played from a redundant copy, in all and at the last
        /// report (with the packets expected then): the E-model scores the
        /// loss heard, which these did not add to.
        var copiesUsed = 0
        var copiesAtReport = 0
        var expectedAtReport = 0
    }
    let network = Mutex(Network())

    /// Audio side (audio thread), replaced whole by `apply`.
    final class Audio: @unchecked Sendable {
        let parameters: StreamParameters
        let codec: AudioCodec
        /// The receive side: jitter buffer, decoding, concealment, comfort noise.
        let playout: Playout
        /// The codec as Opus, when it is (its encoder follows the far end's loss reports).
        let opus: OpusCodec?
        let outbound: SRTPSession?
        var sequence: UInt16
        var timestamp: UInt32
        let packet = UnsafeMutableRawBufferPointer.allocate(byteCount: 1600, alignment: 16)
        let pcm: UnsafeMutableBufferPointer<Int16>
        let frameSamples: Int
        /// Where RTP goes, in kernel form (built once per negotiation).
        let destination: RawSocketAddress
        /// The RFC 4733 event being sent: code, its start timestamp, periods so far.
        var event: (code: UInt8, start: UInt32, periods: Int)?
        /// Periods of ordinary audio left between two digits.
        var gap = 0
        /// The CN packets seen so far (vs the network side's count): a new one starts a silence.
        var comfortNoiseSeen = 0
        /// Frames concealed in the jitter buffer's gap still open (its pending underruns).
        var gapConcealed = 0
        /// The last frame sent, encoded, with its timestamp: the next packet's
        /// RFC 2198 redundant block (`previousLength` nil: none to repeat).
        let previous = UnsafeMutableRawBufferPointer.allocate(byteCount: MediaStream.largestRepeatedFrame, alignment: 16)
        var previousLength: Int?
        var previousTimestamp: UInt32 = 0
        init(_ p: StreamParameters, codec: AudioCodec, playout: Playout?, outbound: SRTPSession?, sequence: UInt16, timestamp: UInt32) {
            parameters = p
            self.codec = codec
            self.outbound = outbound
            self.sequence = sequence
            self.timestamp = timestamp
            frameSamples = p.pcmRate * p.ptimeMs / 1000
            destination = RawSocketAddress(p.remote)
            pcm = .allocate(capacity: frameSamples * 3)
            pcm.initialize(repeating: 0)
            self.playout = playout ?? Playout(codec: codec, jitter: .init(clockRate: p.rtpClockRate, frameMs: p.ptimeMs))
            opus = codec as? OpusCodec
        }
        deinit { packet.deallocate(); pcm.deallocate(); previous.deallocate() }
    }
    let audio = Mutex<Audio?>(nil)

    // Counters crossing threads.
    let sent = Atomic<Int>(0)
    let sentOctets = Atomic<Int>(0)
    let concealed = Atomic<Int>(0)
    /// Of `concealed`, the frames of the gap still open (``JitterBuffer/pendingUnderruns``).
    let pendingConcealed = Atomic<Int>(0)
    /// The far end's last comfort-noise level (−dBov), and how many CN
    /// packets came (the audio thread notices a new silence by the count).
    private let comfortNoiseLevel = Atomic<Int>(127)
    private let comfortNoiseCount = Atomic<Int>(0)
    let recovered = Atomic<Int>(0)
    /// The far end's receiver reports of our stream without loss, in a row
    /// (two, about ten seconds, let the Opus encoder go lean).
    let farEndCleanReports = Atomic<Int>(0)
    static let cleanReportsForLean = 2
    let bufferDelay = Atomic<Int>(0)
    /// The jitter buffer's own counters, published by the audio thread each period.
    let latePackets = Atomic<Int>(0), underruns = Atomic<Int>(0), droppedForDelay = Atomic<Int>(0), resyncs = Atomic<Int>(0)
    /// Device over- and underruns while this stream had the headset.
    public let xruns = Atomic<Int>(0)
    let srtpFailures = Atomic<Int>(0)
    /// Muted microphone: silence is sent (the stream keeps its timing).
    public let muted = Atomic<Bool>(false)
    /// Digits waiting to go out as RFC 4733 events.
    let dtmfOut = Mutex<[UInt8]>([])
    var rtcpTimer: DispatchSourceTimer?
    var inactivityReported = false

    /// RFC 4733 digits received (on `queue`).
    public var onDTMF: (@Sendable (Character) -> Void)?
    /// No RTP for `inactivityTimeout` (on `queue`).
    public var onInactive: (@Sendable () -> Void)?
    public var inactivityTimeout: Duration?
    /// Opus encoder settings before the far end's fmtp (bitrate, complexity).
    public var opus = OpusCodec.Settings()

    /// Opens the sockets on an even port in `ports` (and the next odd one) on `address`.
    public init(address: SocketAddress, ports: ClosedRange<UInt16>, queue: DispatchQueue, random: RandomSource = .system,
                clock: @escaping @Sendable () -> Int64 = MediaStream.monotonicMicros) throws(MediaError) {
        self.queue = queue
        self.clock = clock
        ssrc = UInt32(truncatingIfNeeded: random.next())
        cname = "sipendpointd-\(String(random.next() & 0xFFFF_FFFF, radix: 16))"
        let evenCount = max(1, (Int(ports.upperBound) - Int(ports.lowerBound)) / 2)
        var lastError = "no port free"
        for attempt in 0..<min(64, evenCount) {
            let pick = attempt == 0 ? Int(random.next() % UInt64(evenCount)) : (Int(random.next() % UInt64(evenCount)) + attempt) % evenCount
            let port = UInt16((Int(ports.lowerBound) + 1) / 2 * 2 + pick * 2)
            guard port < ports.upperBound, let a = SocketAddress(ip: address.ip, port: port), let b = SocketAddress(ip: address.ip, port: port + 1) else { continue }
            do throws(TransportError) {
                let fd1 = try SocketOps.open(address.family, stream: false)
                do throws(TransportError) {
                    try SocketOps.bind(fd1, a, reuse: false) // closes fd1 itself on failure
                    let fd2: Int32
                    do throws(TransportError) {
                        fd2 = try SocketOps.open(address.family, stream: false)
                        try SocketOps.bind(fd2, b, reuse: false) // closes fd2 itself on failure
                    } catch {
                        Glibc.close(fd1)
                        throw error
                    }
                    rtp = ReadSource(fd: fd1)
                    rtcp = ReadSource(fd: fd2)
                    localRTP = a
                    localRTCP = b
                    rtp.start(queue: queue) { [weak self] in self?.receive(rtcpSocket: false) }
                    rtcp.start(queue: queue) { [weak self] in self?.receive(rtcpSocket: true) }
                    return
                } catch { lastError = error.description }
            } catch { lastError = error.description }
        }
        throw MediaError(.library, "no RTP port pair free in \(ports) on \(address.ip): \(lastError)")
    }

    public static let monotonicMicros: @Sendable () -> Int64 = {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }

    /// Starts or changes the stream (a re-INVITE's new address, keys, codec,
    /// direction): audio continues without a gap where the codec stays.
    public func apply(_ p: StreamParameters) throws(MediaError) {
        let previous = audio.withLock { $0 }
        var codec: AudioCodec
        if let previous, previous.parameters.codec == p.codec, previous.parameters.ptimeMs == p.ptimeMs {
            codec = previous.codec
        } else {
            switch p.codec {
            case .pcmu: codec = G711Codec(law: .mu)
            case .pcma: codec = G711Codec(law: .a)
            case .opus(let fmtp):
                var s = opus
                s.sampleRate = p.pcmRate
                if let fmtp { s.apply(fmtp: fmtp) }
                codec = try OpusCodec(s)
            }
        }
        let keysChanged = previous?.parameters.srtp?.local != p.srtp?.local || previous?.parameters.srtp?.remote != p.srtp?.remote
            || previous?.parameters.srtp?.suite != p.srtp?.suite
        let outbound = try keysChanged ? p.srtp.map { s throws(MediaError) in try SRTPSession(suite: s.suite, key: s.local, inbound: false) } : previous?.outbound
        let rtcpOut = try keysChanged ? p.srtp.map { s throws(MediaError) in try SRTPSession(suite: s.suite, key: s.local, inbound: false) } : nil
        let inbound = try keysChanged ? p.srtp.map { s throws(MediaError) in try SRTPSession(suite: s.suite, key: s.remote, inbound: true) } : nil
        // The same far end and codec: what is buffered plays on.
        let keep = previous.flatMap { $0.parameters.remote == p.remote && $0.parameters.codec == p.codec && $0.parameters.ptimeMs == p.ptimeMs ? $0.playout : nil }
        let side = Audio(p, codec: codec, playout: keep, outbound: outbound, sequence: previous?.sequence ?? UInt16(truncatingIfNeeded: ssrc >> 7),
                         timestamp: previous?.timestamp ?? (ssrc &* 2_654_435_761))
        network.withLock { n in
            if n.parameters?.remote != p.remote {
                n.stats = RTPReceiveStatistics()
                // Another far end (or path): resilient until it reports a clean network too.
                farEndCleanReports.store(0, ordering: .relaxed)
            }
            n.parameters = p
            n.remote = RawSocketAddress(p.remote)
            if keysChanged {
                n.previousInbound = n.inbound.map { ($0, clock() + Self.previousKeysGraceMicros) }
                n.inbound = inbound
                n.rtcpOut = rtcpOut
            }
            if n.lastPacketAt == 0 { n.lastPacketAt = clock() }
        }
        audio.withLock { $0 = side }
        if rtcpTimer == nil { startRTCP() }
    }

    public var parameters: StreamParameters? { audio.withLock { $0?.parameters } }

    /// PCM rate the audio devices must run at for this stream (nil before `apply`).
    public var pcmRate: Int? { parameters?.pcmRate }

    // MARK: Audio thread

    public func audioPeriod(captured: UnsafeBufferPointer<Int16>, playback: UnsafeMutableBufferPointer<Int16>) {
        guard let a = audio.withLock({ $0 }) else { return }
        let p = a.parameters
        let now = clock()
        let cnCount = comfortNoiseCount.load(ordering: .acquiring)
        if cnCount != a.comfortNoiseSeen {
            a.comfortNoiseSeen = cnCount
            a.playout.comfortNoiseBegan()
        }
        packets.drain { payload, ts, pt, arrival in
            guard pt == p.payloadType else { return }
            a.playout.insert(timestamp: ts, payload: payload, arrivalMicros: arrival)
        }
        // Send the captured frame, or the DTMF event in progress.
        if p.sends, p.telephoneEventPayloadType != nil, sendingEvent(a) {
            // The event replaced this period's audio.
        } else if p.sends {
            let frame = a.frameSamples
            let input = UnsafeBufferPointer(rebasing: captured[0..<min(frame, captured.count)])
            if muted.load(ordering: .relaxed) {
                let silence = UnsafeMutableBufferPointer(rebasing: a.pcm[0..<frame])
                silence.update(repeating: 0)
                send(a, UnsafeBufferPointer(silence))
            } else {
                send(a, input)
            }
        }
        // Play the next frame.
        let out = UnsafeMutableBufferPointer(rebasing: playback[0..<min(a.frameSamples, playback.count)])
        let outcome = a.playout.play(into: out, nowMicros: now, noiseLevel: comfortNoiseLevel.load(ordering: .relaxed))
        switch outcome {
        case .recovered: recovered.add(1, ordering: .relaxed)
        case .concealed: concealed.add(1, ordering: .relaxed)
        case .silence, .played, .comfortNoise: break
        }
        if !p.receives { out.update(repeating: 0) }
        let jb = a.playout.jitter
        // A gap still open is not counted yet (its underruns, the frames concealed in it): at a
        // call's end it is the far end hanging up, not a glitch.
        a.gapConcealed = jb.pendingUnderruns == 0 ? 0 : a.gapConcealed + (outcome == .concealed ? 1 : 0)
        underruns.store(jb.underruns - jb.pendingUnderruns, ordering: .relaxed)
        pendingConcealed.store(a.gapConcealed, ordering: .relaxed)
        bufferDelay.store(jb.bufferedMs, ordering: .relaxed)
        latePackets.store(jb.late, ordering: .relaxed)
        droppedForDelay.store(jb.droppedForDelay, ordering: .relaxed)
        resyncs.store(jb.resynchronised, ordering: .relaxed)
    }

    /// Protects (SRTP) and sends the `length` bytes at the start of the audio packet buffer.
    func transmit(_ a: Audio, length: Int) {
        var length = length
        if let srtp = a.outbound {
            guard let l = try? srtp.protect(a.packet, length: length) else { return }
            length = l
        }
        let rc = a.destination.withSockAddr { sendto(rtp.fd, a.packet.baseAddress, length, Int32(MSG_DONTWAIT), $0, $1) }
        if rc > 0 { sent.add(1, ordering: .relaxed) }
    }

    private func send(_ a: Audio, _ pcm: UnsafeBufferPointer<Int16>) {
        let p = a.parameters
        let lossy = farEndCleanReports.load(ordering: .relaxed) < Self.cleanReportsForLean
        // Loss is ridden out by RFC 2198 copies where the far end takes
        // them (the lean encoder's frames, repeated), else by SILK with FEC.
        a.opus?.resilient = lossy && p.redundancyPayloadType == nil
        let redundancy = lossy ? p.redundancyPayloadType : nil
        let header = RTPHeader(payloadType: redundancy ?? p.payloadType, sequenceNumber: a.sequence, timestamp: a.timestamp, ssrc: ssrc)
        header.write(to: a.packet)
        let start = RTPHeader.size + (redundancy == nil ? 0 : writeRedundancy(a))
        let body = UnsafeMutableRawBufferPointer(rebasing: a.packet[start..<(a.packet.count - 64)])
        guard let n = try? a.codec.encode(pcm, into: body) else { return }
        // Kept before SRTP encrypts the packet in place.
        if p.redundancyPayloadType != nil { keepForRedundancy(a, UnsafeRawBufferPointer(rebasing: body[0..<n])) }
        transmit(a, length: start + n)
        sentOctets.add(start - RTPHeader.size + n, ordering: .relaxed)
        a.sequence &+= 1
        a.timestamp &+= UInt32(p.rtpClockRate * p.ptimeMs / 1000)
    }

    // MARK: Network queue

    private var receiveBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 16)

    private func receive(rtcpSocket: Bool) {
        let fd = rtcpSocket ? rtcp.fd : rtp.fd
        for _ in 0..<64 {
            var ss = sockaddr_storage()
            var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let n = withUnsafeMutablePointer(to: &ss) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, receiveBuffer.baseAddress, receiveBuffer.count, 0, $0, &len) }
            }
            if n < 0 { return }
            let packet = UnsafeMutableRawBufferPointer(rebasing: receiveBuffer[0..<n])
            withUnsafePointer(to: &ss) { from in
                if rtcpSocket || RTPHeader.isRTCP(UnsafeRawBufferPointer(packet)) {
                    handleRTCP(packet, from: from)
                } else {
                    handleRTP(packet, from: from)
                }
            }
        }
    }

    private func handleRTP(_ packet: UnsafeMutableRawBufferPointer, from: UnsafePointer<sockaddr_storage>) {
        let now = clock()
        network.withLock { n in
            guard let p = n.parameters, let length = admit(packet, from: from, rtcp: false, &n) else { return }
            let bytes = UnsafeRawBufferPointer(rebasing: packet[0..<length])
            guard let h = try? RTPHeader(parsing: bytes) else { return }
            n.lastPacketAt = now
            let payload = UnsafeRawBufferPointer(rebasing: bytes[h.payloadOffset..<(h.payloadOffset + h.payloadLength)])
            if h.payloadType == p.telephoneEventPayloadType {
                dtmf(payload, timestamp: h.timestamp, state: &n)
                return
            }
            let comfortNoise = h.payloadType == p.comfortNoisePayloadType, redundant = h.payloadType == p.redundancyPayloadType
            guard comfortNoise || redundant || h.payloadType == p.payloadType, p.receives else { return }
            let arrivalTicks = now * Int64(p.rtpClockRate) / 1_000_000
            // CN and RED packets share the stream's sequence numbers: counted, so they are not taken for losses.
            switch n.stats.record(ssrc: h.ssrc, sequence: h.sequenceNumber, timestamp: h.timestamp, arrival: arrivalTicks) {
            case .accepted, .reordered: break
            case .duplicate, .probation: return
            }
            if comfortNoise {
                // The far end's silence begins: its level (first byte, −dBov) until speech resumes.
                comfortNoiseLevel.store(Int(payload.first ?? 127) & 0x7F, ordering: .relaxed)
                comfortNoiseCount.add(1, ordering: .releasing)
                return
            }
            if redundant {
                receiveRedundant(h, payload, parameters: p, now: now, state: &n)
                return
            }
            // Not when a redundant copy of it came first.
            guard firstArrival(h.ssrc, h.sequenceNumber, &n) else { return }
            packets.push(payload, timestamp: h.timestamp, payloadType: h.payloadType, arrival: now)
        }
    }

    /// Sends RTCP BYE and closes the sockets, on the stream's queue (the
    /// caller never waits for the media side). Call after the audio thread
    /// let go of the stream.
    public func close() {
        audio.withLock { $0 = nil }
        queue.async { [self] in
            rtcpTimer?.cancel()
            rtcpTimer = nil
            var out: [UInt8] = []
            network.withLock { n in
                guard let p = n.parameters else { return }
                RTCPPacket.receiverReport(ssrc: ssrc, reports: []).write(to: &out)
                RTCPPacket.goodbye(ssrcs: [ssrc]).write(to: &out)
                sendRTCP(&out, parameters: p, srtp: n.rtcpOut)
            }
            rtp.shutdown()
            rtcp.shutdown()
        }
    }

    deinit { receiveBuffer.deallocate() }
}
