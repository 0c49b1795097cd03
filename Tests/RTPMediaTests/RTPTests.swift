import Testing
@testable import RTPMedia

@Suite struct RTPHeaderTests {
    @Test func writesAndParsesTheFixedHeader() throws {
        var buf = [UInt8](repeating: 0, count: 172)
        let h = RTPHeader(marker: true, payloadType: 96, sequenceNumber: 0xFFFE, timestamp: 0xDEADBEEF, ssrc: 0x01020304)
        buf.withUnsafeMutableBytes { h.write(to: $0) }
        #expect(Array(buf[0..<12]) == [0x80, 0xE0, 0xFF, 0xFE, 0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3, 4])
        let p = try buf.withUnsafeBytes { try RTPHeader(parsing: $0) }
        #expect(p.marker && p.payloadType == 96 && p.sequenceNumber == 0xFFFE && p.timestamp == 0xDEADBEEF && p.ssrc == 0x01020304)
        #expect(p.payloadOffset == 12 && p.payloadLength == 160)
    }

    @Test func csrcExtensionAndPaddingAreSkipped() throws {
        // V=2 P=1 X=1 CC=1, PT 0; one CSRC; extension of 1 word; 4 payload bytes; 3 padding bytes.
        let pkt: [UInt8] = [0xB1, 0x00, 0, 1, 0, 0, 0, 160, 0, 0, 0, 9, /*csrc*/ 0, 0, 0, 7, /*ext*/ 0xBE, 0xDE, 0, 1, 1, 2, 3, 4, /*payload*/ 9, 9, 9, 9, /*pad*/ 0, 0, 3]
        let p = try pkt.withUnsafeBytes { try RTPHeader(parsing: $0) }
        #expect(p.payloadOffset == 24 && p.payloadLength == 4)
    }

    @Test(arguments: [
        ([UInt8](repeating: 0x80, count: 11), MediaError.Code.truncated),
        ([0x40] + [UInt8](repeating: 0, count: 11), .malformed),           // version 1
        ([0x8F] + [UInt8](repeating: 0, count: 11), .truncated),           // 15 CSRCs claimed
        ([0x90] + [UInt8](repeating: 0, count: 11) + [0, 0, 0xFF, 0xFF], .truncated), // extension too long
        ([0xA0] + [UInt8](repeating: 0, count: 10) + [200], .malformed),    // padding beyond the packet
        ([0x80, 0xC8] + [UInt8](repeating: 0, count: 10), .malformed),     // RTCP SR (200) on the RTP path
    ])
    func hostilePacketsAreRefusedWithAReason(_ bytes: [UInt8], _ code: MediaError.Code) {
        #expect { try bytes.withUnsafeBytes { try RTPHeader(parsing: $0) } } throws: { ($0 as? MediaError)?.code == code }
    }

    @Test func fuzzedPacketsNeverCrash() {
        var state: UInt64 = 0x1234_5678
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        var ok = 0
        for _ in 0..<100_000 {
            let n = Int(next() % 64)
            var b = (0..<n).map { _ in UInt8(truncatingIfNeeded: next()) }
            if n > 0, next() % 2 == 0 { b[0] = 0x80 | (b[0] & 0x3F) }
            if let h = try? b.withUnsafeBytes({ try RTPHeader(parsing: $0) }) {
                ok += 1
                #expect(h.payloadOffset + h.payloadLength <= n)
            }
            _ = try? b.withUnsafeBytes { try RTCPPacket.parseCompound($0) }
        }
        #expect(ok > 1000)
    }
}

@Suite struct RTCPTests {
    /// 100,000 mutations of a valid compound packet (bytes flipped, cut,
    /// lengths bent): every parse ends in packets or an error, never a crash.
    @Test func mutatedCompoundsNeverCrash() {
        let block = RTCPReportBlock(ssrc: 7, fractionLost: 25, cumulativeLost: -3, extendedHighestSequence: 0x1_0005, jitter: 80, lastSR: 1, delaySinceLastSR: 2)
        var seed: [UInt8] = []
        for p in [RTCPPacket.senderReport(ssrc: 1, ntp: 0x0102_0304_0506_0708, rtpTimestamp: 160, packets: 50, octets: 8000, reports: [block]),
                  .sourceDescription(ssrc: 1, cname: "agent@box"), .goodbye(ssrcs: [1, 2])] { p.write(to: &seed) }
        #expect((try? seed.withUnsafeBytes { try RTCPPacket.parseCompound($0) })?.count == 3)
        var state: UInt64 = 0xfeed_beef
        func next() -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) }
        var parsed = 0
        for _ in 0..<100_000 {
            var b = seed
            for _ in 0...(next() % 4) {
                switch next() % 3 {
                case 0: b[next() % b.count] = UInt8(truncatingIfNeeded: next())
                case 1: b = Array(b.prefix(next() % (b.count + 1)))
                default: if b.count > 3 { b[2 + (next() % 2)] = UInt8(truncatingIfNeeded: next()) }
                }
                if b.isEmpty { break }
            }
            if (try? b.withUnsafeBytes { try RTCPPacket.parseCompound($0) }) != nil { parsed += 1 }
        }
        #expect(parsed > 1000)
    }

    @Test func compoundRoundTrip() throws {
        let block = RTCPReportBlock(ssrc: 7, fractionLost: 25, cumulativeLost: -3, extendedHighestSequence: 0x1_0005, jitter: 80, lastSR: 0xAABB_CCDD, delaySinceLastSR: 65536)
        let packets: [RTCPPacket] = [
            .senderReport(ssrc: 1, ntp: 0x0102_0304_0506_0708, rtpTimestamp: 160, packets: 50, octets: 8000, reports: [block]),
            .sourceDescription(ssrc: 1, cname: "sipendpointd@agent"),
            .receiverReport(ssrc: 1, reports: []),
            .goodbye(ssrcs: [1]),
        ]
        var out: [UInt8] = []
        for p in packets { p.write(to: &out) }
        #expect(out.count % 4 == 0)
        let parsed = try out.withUnsafeBytes { try RTCPPacket.parseCompound($0) }
        #expect(parsed == packets)
    }

    @Test func truncatedCompoundIsRefused() {
        var out: [UInt8] = []
        RTCPPacket.receiverReport(ssrc: 1, reports: [RTCPReportBlock(ssrc: 2, fractionLost: 0, cumulativeLost: 0, extendedHighestSequence: 0, jitter: 0, lastSR: 0, delaySinceLastSR: 0)]).write(to: &out)
        let cut = Array(out.dropLast(4))
        #expect(throws: MediaError.self) { try cut.withUnsafeBytes { try RTCPPacket.parseCompound($0) } }
    }
}

@Suite struct ReceiveStatisticsTests {
    @Test func lossJitterAndWrapAround() {
        var s = RTPReceiveStatistics()
        var seq: UInt16 = 65_530
        var ts: UInt32 = 0
        for i in 0..<100 {
            defer { seq &+= 1; ts &+= 160 }
            if i % 10 == 3 { continue } // 10 % loss
            // Arrival jitter of ±8 ticks around the send time.
            #expect(s.record(ssrc: 42, sequence: seq, timestamp: ts, arrival: Int64(ts) + (i % 2 == 0 ? 8 : -8)) == .accepted)
        }
        #expect(s.expected == 100 - 0 && s.received == 90 && s.cumulativeLost == 10)
        #expect(s.extendedMax == 65_530 + 99)
        let r = s.intervalReport()
        #expect(r.fractionLost == 25) // 10/100 · 256
        #expect(s.jitter > 10 && s.jitter < 17)
        // A duplicate of the newest is counted as such; an older one is reordered (the jitter buffer judges it).
        #expect(s.record(ssrc: 42, sequence: seq &- 1, timestamp: 0, arrival: 0) == .duplicate)
        #expect(s.record(ssrc: 42, sequence: seq &- 3, timestamp: 0, arrival: 0) == .reordered)
        #expect(s.duplicates == 1)
        // A far jump needs a second packet to be believed.
        #expect(s.record(ssrc: 42, sequence: seq &+ 20_000, timestamp: 0, arrival: 0) == .probation)
        #expect(s.record(ssrc: 42, sequence: seq &+ 20_001, timestamp: 160, arrival: 160) == .accepted)
        #expect(s.restarts == 1)
        // A new SSRC starts over.
        #expect(s.record(ssrc: 43, sequence: 1, timestamp: 0, arrival: 0) == .accepted)
        #expect(s.received == 1 && s.restarts == 2)
    }

    /// RFC 3550 §6.4.1 round trip from a report block: 100 ms measured as
    /// such; on loopback a few units below zero read as 0 ms, not as no
    /// RTT (seen with baresip: RTT missing from /v1/calls at 10 s); a block
    /// far in the future, or without an SR to refer to, gives nothing.
    @Test func roundTripFromAReportBlock() {
        func block(lsr: UInt32, dlsr: UInt32) -> RTCPReportBlock {
            RTCPReportBlock(ssrc: 7, fractionLost: 0, cumulativeLost: 0, extendedHighestSequence: 0, jitter: 0, lastSR: lsr, delaySinceLastSR: dlsr)
        }
        let lsr: UInt32 = 0x1234_5678, dlsr: UInt32 = 65536 / 2 // the far end held our SR for 0.5 s
        let rtt = block(lsr: lsr, dlsr: dlsr).roundTripMs(arrivalMiddle: lsr &+ dlsr &+ 6554) ?? -1
        #expect(abs(rtt - 100) < 0.1, "\(rtt) ms")
        #expect(block(lsr: lsr, dlsr: dlsr).roundTripMs(arrivalMiddle: lsr &+ dlsr &- 20) == 0)
        #expect(block(lsr: lsr, dlsr: dlsr).roundTripMs(arrivalMiddle: lsr &+ dlsr &- 6554) == nil)
        #expect(block(lsr: 0, dlsr: 0).roundTripMs(arrivalMiddle: 12345) == nil)
    }
}
