import Dispatch
import NetSupport
#if canImport(Glibc)
import Glibc
#endif

/// RTCP of a stream (RFC 3550 §6): reports in, round-trip time from
/// LSR/DLSR, SR/RR every ~5 s out, BYE on close, and the figures the call
/// layer and the quality report read.
extension MediaStream {
    func handleRTCP(_ packet: UnsafeMutableRawBufferPointer, from: UnsafePointer<sockaddr_storage>) {
        let nowNTP = Self.ntpNow()
        network.withLock { n in
            guard let length = admit(packet, from: from, rtcp: true, &n) else { return }
            guard let list = try? RTCPPacket.parseCompound(UnsafeRawBufferPointer(rebasing: packet[0..<length])) else { return }
            for item in list {
                var blocks: [RTCPReportBlock] = []
                switch item {
                case let .senderReport(_, ntp, _, _, _, reports):
                    n.lastSRMiddle = UInt32(truncatingIfNeeded: ntp >> 16)
                    n.lastSRAt = clock()
                    blocks = reports
                case let .receiverReport(_, reports):
                    blocks = reports
                default:
                    break
                }
                // What the far end says of our stream: clean reports in a row let
                // the Opus encoder go lean; any loss brings FEC back at once.
                for b in blocks where b.ssrc == ssrc { noteFarEndReport(fractionLost: b.fractionLost) }
                let middle = UInt32(truncatingIfNeeded: nowNTP >> 16)
                for b in blocks where b.ssrc == ssrc {
                    if let rtt = b.roundTripMs(arrivalMiddle: middle) { n.rttMs = rtt }
                }
            }
        }
    }

    /// A report block about our stream (fraction lost in 1/256).
    func noteFarEndReport(fractionLost: UInt8) {
        if fractionLost == 0 { farEndCleanReports.add(1, ordering: .relaxed) } else { farEndCleanReports.store(0, ordering: .relaxed) }
    }

    /// NTP time now (RFC 3550 §4): seconds since 1900 in the high 32 bits.
    static func ntpNow() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let seconds = UInt64(ts.tv_sec) + 2_208_988_800
        return seconds << 32 | (UInt64(ts.tv_nsec) << 32) / 1_000_000_000
    }

    func startRTCP() {
        let t = DispatchSource.makeTimerSource(queue: queue)
        t.schedule(deadline: .now() + .seconds(1), repeating: .seconds(5), leeway: .milliseconds(100))
        t.setEventHandler { [weak self] in self?.rtcpTick() }
        rtcpTimer = t
        t.resume()
    }

    func rtcpTick() {
        let now = clock()
        var out: [UInt8] = []
        var dead = false
        network.withLock { n in
            guard let p = n.parameters else { return }
            let r = n.stats.intervalReport()
            // The reports say what the network lost (the far end keeps sending
            // copies while it does); the MOS counts what was not played from one.
            let expected = Int(n.stats.expected), intervalExpected = max(1, expected - n.expectedAtReport)
            let intervalCopies = n.copiesUsed - n.copiesAtReport
            n.intervalLossPercent = max(0, Double(r.fractionLost) * 100 / 256 - Double(intervalCopies) * 100 / Double(intervalExpected))
            n.copiesAtReport = n.copiesUsed
            n.expectedAtReport = expected
            var blocks: [RTCPReportBlock] = []
            if let source = n.stats.ssrc {
                let dlsr = n.lastSRAt == 0 ? 0 : UInt32(truncatingIfNeeded: (now - n.lastSRAt) * 65536 / 1_000_000)
                blocks.append(RTCPReportBlock(ssrc: source, fractionLost: r.fractionLost, cumulativeLost: r.cumulativeLost,
                                              extendedHighestSequence: r.extendedMax, jitter: r.jitter, lastSR: n.lastSRMiddle, delaySinceLastSR: dlsr))
            }
            if p.sends {
                let ts = audio.withLock { $0?.timestamp } ?? 0
                RTCPPacket.senderReport(ssrc: ssrc, ntp: Self.ntpNow(), rtpTimestamp: ts, packets: UInt32(truncatingIfNeeded: sent.load(ordering: .relaxed)),
                                        octets: UInt32(truncatingIfNeeded: sentOctets.load(ordering: .relaxed)), reports: blocks).write(to: &out)
            } else {
                RTCPPacket.receiverReport(ssrc: ssrc, reports: blocks).write(to: &out)
            }
            RTCPPacket.sourceDescription(ssrc: ssrc, cname: cname).write(to: &out)
            if let timeout = inactivityTimeout, p.receives, !inactivityReported, Double(now - n.lastPacketAt) / 1e6 > timeout.seconds { dead = true }
            sendRTCP(&out, parameters: p, srtp: n.rtcpOut)
        }
        if dead {
            inactivityReported = true
            onInactive?()
        }
    }

    func sendRTCP(_ out: inout [UInt8], parameters p: StreamParameters, srtp: SRTPSession?) {
        let length = out.count
        out += [UInt8](repeating: 0, count: 32)
        var n = length
        if let srtp {
            guard let l = try? out.withUnsafeMutableBytes({ b throws(MediaError) in try srtp.protectRTCP(b, length: length) }) else { return }
            n = l
        }
        let fd = p.rtcpMux ? rtp.fd : rtcp.fd
        let dest = p.rtcpMux ? p.remote : p.remoteRTCP
        _ = out.withUnsafeBytes { b in dest.withSockAddr { sendto(fd, b.baseAddress, n, Int32(MSG_DONTWAIT), $0, $1) } }
    }

    /// Loss over the whole stream less what redundant copies filled, percent.
    static func heardLossPercent(_ n: Network) -> Double {
        n.stats.expected == 0 ? 0 : max(0, Double(Int(n.stats.cumulativeLost) - n.copiesUsed) * 100 / Double(n.stats.expected))
    }

    /// Figures now; the MOS by the E-model from loss, jitter-buffer delay and RTT.
    public func statistics() -> StreamStatistics {
        var s = StreamStatistics()
        s.packetsSent = sent.load(ordering: .relaxed)
        s.concealedFrames = max(0, concealed.load(ordering: .relaxed) - pendingConcealed.load(ordering: .relaxed))
        s.recoveredFrames = recovered.load(ordering: .relaxed)
        s.jitterBufferMs = bufferDelay.load(ordering: .relaxed)
        s.latePackets = latePackets.load(ordering: .relaxed)
        s.underruns = underruns.load(ordering: .relaxed)
        s.framesDroppedForDelay = droppedForDelay.load(ordering: .relaxed)
        s.jitterBufferResyncs = resyncs.load(ordering: .relaxed)
        s.xruns = xruns.load(ordering: .relaxed)
        s.srtpFailures = srtpFailures.load(ordering: .relaxed)
        let codecImpairment: EModel.CodecImpairment
        switch parameters?.codec {
        case .opus: codecImpairment = .opus
        default: codecImpairment = .g711PLC
        }
        let ptime = Double(parameters?.ptimeMs ?? 20)
        network.withLock { n in
            s.packetsReceived = Int(n.stats.received)
            s.packetsLost = max(0, Int(n.stats.cumulativeLost))
            s.jitterMs = n.stats.jitter * 1000 / Double(parameters?.rtpClockRate ?? 8000)
            s.rttMs = n.rttMs
            s.foreignPackets = n.foreign
            let delay = (n.rttMs ?? 0) / 2 + Double(s.jitterBufferMs) + ptime
            let total = Self.heardLossPercent(n)
            s.localMOS = EModel.mos(codec: codecImpairment, lossPercent: total, oneWayDelayMs: delay)
            s.intervalMOS = EModel.mos(codec: codecImpairment, lossPercent: n.intervalLossPercent, oneWayDelayMs: delay)
        }
        return s
    }
}
