// libFuzzer target: a datagram on a media port, down the receive path —
// SRTP/SRTCP authentication (all four suites, fixed keys), the RTP header,
// an RTCP compound, the receive statistics and the jitter buffer. Built by
// scripts/fuzz.sh.
import RTPMedia

nonisolated(unsafe) let key = (0..<46).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }
nonisolated(unsafe) let suites: [SRTPSuite] = [.aesCM128HmacSha1_80, .aesCM128HmacSha1_32, .aeadAES128GCM, .aeadAES256GCM]
nonisolated(unsafe) let inbound = suites.map { s in try! SRTPSession(suite: s, key: Array(key.prefix(s.keyLength)), inbound: true) }
nonisolated(unsafe) var statistics = RTPReceiveStatistics()
nonisolated(unsafe) var jitter = JitterBuffer(.init(clockRate: 8000))
nonisolated(unsafe) var clock: Int64 = 0
nonisolated(unsafe) let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)

func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let packet = UnsafeRawBufferPointer(start: data, count: size)
    _ = try? RTCPPacket.parseCompound(packet)
    if let h = try? RTPHeader(parsing: packet) {
        clock += 20_000
        _ = statistics.record(ssrc: h.ssrc, sequence: h.sequenceNumber, timestamp: h.timestamp, arrival: clock / 125)
        _ = jitter.insert(timestamp: h.timestamp, payload: UnsafeRawBufferPointer(rebasing: packet[h.payloadOffset..<(h.payloadOffset + h.payloadLength)]),
                          arrivalMicros: clock)
        if case .play(let slot) = jitter.pull(nowMicros: clock) { jitter.withPayload(slot: slot) { _ = $0.count } }
    }
    // Authentication must refuse it (the keys are not the sender's), whatever it holds.
    let n = min(size, scratch.count)
    for s in inbound {
        scratch.copyMemory(from: UnsafeRawBufferPointer(rebasing: packet[0..<n]))
        _ = try? s.unprotect(scratch, length: n)
        scratch.copyMemory(from: UnsafeRawBufferPointer(rebasing: packet[0..<n]))
        _ = try? s.unprotectRTCP(scratch, length: n)
    }
    return 0
}
