import Dispatch
import Testing
#if canImport(Glibc)
import Glibc
#endif
import NetSupport
@testable import RTPMedia

/// RFC 2198 between two streams through a socket of the test's that drops
/// every tenth packet and swaps another pair: the sender repeats each
/// frame in the next packet while the far end reports loss, and the
/// receiver plays the dropped frames from the copies — no concealment,
/// the tone never dips — and a copy that comes before its original plays
/// right (with SRTP too: the copy is of the frame, not of the ciphertext).
@Suite struct MediaStreamRedundancyTests {
    static let loopback = SocketAddress(ip: "127.0.0.1", port: 0)!

    @Test(arguments: [(StreamParameters.Codec.pcmu, UInt8(0)), (.opus(fmtp: "useinbandfec=1"), 111)], [false, true])
    func droppedPacketsArePlayedFromTheNextOnesCopy(_ c: (codec: StreamParameters.Codec, pt: UInt8), _ srtp: Bool) async throws {
        let (codec, pt) = c
        let key = (0..<30).map { UInt8($0 &* 3) }
        let keys: (suite: SRTPSuite, local: [UInt8], remote: [UInt8])? = srtp ? (.aesCM128HmacSha1_80, key, key) : nil
        let q = DispatchQueue(label: "media-red")
        let a = try MediaStream(address: Self.loopback, ports: 30000...39999, queue: q)
        let b = try MediaStream(address: Self.loopback, ports: 30000...39999, queue: q)
        defer { a.close(); b.close() }
        let mid = try SocketOps.open(.ipv4, stream: false)
        defer { _ = Glibc.close(mid) }
        try SocketOps.bind(mid, SocketAddress(ip: "127.0.0.1", port: 0)!, reuse: false)
        let midAddress = try #require(SocketOps.localAddress(mid))
        let red: UInt8 = 100
        let nowhere = try #require(SocketAddress(ip: "127.0.0.1", port: 9))
        try a.apply(StreamParameters(remote: midAddress, remoteRTCP: nowhere, rtcpMux: false, codec: codec, payloadType: pt, srtp: keys, redundancyPayloadType: red))
        try b.apply(StreamParameters(remote: midAddress, remoteRTCP: nowhere, rtcpMux: false, codec: codec, payloadType: pt, sends: false, srtp: keys, redundancyPayloadType: red))
        let frame = a.pcmRate! / 50
        var tone = [Int16](repeating: 0, count: frame), heard = [Int16](repeating: 0, count: frame)
        var levels: [Double] = []
        var previousPrimary: [UInt8]?
        var packets = 0, copiesMatching = 0, dropped = 0, plainAfterCleanReports = 0
        var buffer = [UInt8](repeating: 0, count: 2048)
        var held: [UInt8]?
        var phase = 0
        for tick in 0..<70 {
            if tick == 60 { a.noteFarEndReport(fractionLost: 0); a.noteFarEndReport(fractionLost: 0) }
            for i in 0..<frame { tone[i] = Int16(8000 * Signal.sine(Double(phase + i) * 2 * .pi * 400 / Double(frame * 50))) }
            phase += frame
            tone.withUnsafeBufferPointer { t in heard.withUnsafeMutableBufferPointer { a.audioPeriod(captured: t, playback: $0) } }
            if case .opus = codec { #expect(a.audio.withLock { $0?.opus?.resilient } == false, "red lets the lean encoder ride out loss") }
            // What A sent: read, check, forward to B unless it is one to drop.
            for _ in 0..<4 {
                let n = buffer.withUnsafeMutableBytes { recv(mid, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                guard n > 0 else { break }
                packets += 1
                let h = try buffer.withUnsafeBytes { try RTPHeader(parsing: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                if tick >= 60 {
                    if h.payloadType == pt { plainAfterCleanReports += 1 }
                } else if !srtp {
                    #expect(h.payloadType == red, "packet \(packets) while the far end has not reported a clean network")
                    var blocks: [[UInt8]] = []
                    buffer.withUnsafeBytes { p in
                        let payload = UnsafeRawBufferPointer(rebasing: p[h.payloadOffset..<(h.payloadOffset + h.payloadLength)])
                        RedundantAudio.forEachBlock(payload, timestamp: h.timestamp) { blocks.append(Array($0.data)) }
                    }
                    if blocks.count == 2, blocks[0] == previousPrimary { copiesMatching += 1 }
                    previousPrimary = blocks.last
                }
                if packets % 10 == 5 { dropped += 1; continue }
                // Every tenth, one packet is held back and sent after the next: its copy comes first.
                if packets % 10 == 8 { held = Array(buffer[0..<n]); continue }
                _ = buffer.withUnsafeBytes { p in b.localRTP.withSockAddr { sendto(mid, p.baseAddress, n, 0, $0, $1) } }
                if let late = held {
                    _ = late.withUnsafeBytes { p in b.localRTP.withSockAddr { sendto(mid, p.baseAddress, p.count, 0, $0, $1) } }
                    held = nil
                }
            }
            try await Task.sleep(for: .milliseconds(20))
            tone.withUnsafeBufferPointer { t in heard.withUnsafeMutableBufferPointer { b.audioPeriod(captured: t, playback: $0) } }
            if tick >= 15 && tick < 60 { levels.append(Signal.rms(heard)) }
        }
        let s = b.statistics()
        if !srtp { #expect(copiesMatching >= 55, "each red packet repeats the previous primary: \(copiesMatching) of \(packets)") }
        #expect(srtp || plainAfterCleanReports >= 9, "plain packets once the far end reports no loss")
        #expect(dropped == 7 && s.packetsLost == 7, "dropped \(dropped) of \(packets): \(s)")
        // Recovered: the dropped ones only (a copy before its reordered original is no recovery).
        #expect(s.recoveredFrames >= 5 && s.recoveredFrames <= 7 && s.concealedFrames <= 2, "\(s)")
        // 8000 peak → about 5657 RMS; a copy of ciphertext would play as loud noise or not decode.
        #expect((levels.min() ?? 0) > 3500 && (levels.max() ?? 0) < 7000, "the tone never dips: \(levels.map { Int($0) })")
        // The MOS scores the loss heard: 10 % lost, all but a frame or two played from copies — better
        // than 3 % loss would rate at the same delay (the delay held varies with the machine's load).
        let impairment: EModel.CodecImpairment = c.codec == .pcmu ? .g711PLC : .opus
        let delay = Double(s.jitterBufferMs) + 20 + (s.rttMs ?? 0) / 2
        #expect(s.localMOS > EModel.mos(codec: impairment, lossPercent: 3, oneWayDelayMs: delay), "\(s)")
    }
}
