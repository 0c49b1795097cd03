import Testing
@testable import RTPMedia

/// RFC 2198 payloads and the receive window that keeps copies from playing twice.
@Suite struct RedundantAudioTests {
    /// Builds a RED payload of `primary` with `previous` (offset ticks older) before it.
    func payload(primary: [UInt8], previous: [UInt8]?, offset: UInt32 = 160, type: UInt8 = 8) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 2048)
        let n = out.withUnsafeMutableBytes { o -> Int in
            let h = RedundantAudio.writeHeaders(primaryType: type, redundant: previous.map { (offset, $0.count) }, into: o)!
            var at = h
            for part in [previous ?? [], primary] {
                for b in part { o[at] = b; at += 1 }
            }
            return at
        }
        return Array(out[0..<n])
    }

    func blocks(_ p: [UInt8], timestamp: UInt32 = 10_000) -> (ok: Bool, [(UInt8, UInt32, Int, [UInt8])]) {
        var out: [(UInt8, UInt32, Int, [UInt8])] = []
        let ok = p.withUnsafeBytes { RedundantAudio.forEachBlock($0, timestamp: timestamp) { out.append(($0.payloadType, $0.timestamp, $0.distance, Array($0.data))) } }
        return (ok, out)
    }

    @Test func aPacketCarriesThePreviousFrameBeforeItsOwn() {
        let prev = [UInt8](repeating: 0xD5, count: 160), cur = [UInt8](repeating: 0x55, count: 160)
        let p = payload(primary: cur, previous: prev)
        // RFC 2198 §3: F=1|PT, 14-bit offset, 10-bit length; then F=0|PT.
        #expect(Array(p[0..<5]) == [0x88, UInt8(160 >> 6), UInt8((160 & 0x3F) << 2), 160, 0x08])
        let (ok, b) = blocks(p)
        #expect(ok && b.count == 2)
        #expect(b[0].0 == 8 && b[0].1 == 10_000 - 160 && b[0].2 == 1 && b[0].3 == prev)
        #expect(b[1].0 == 8 && b[1].1 == 10_000 && b[1].2 == 0 && b[1].3 == cur)
        // Nothing to repeat (first packet, after a digit): the primary alone behind a 1-byte header.
        let first = blocks(payload(primary: cur, previous: nil))
        #expect(first.ok && first.1.count == 1 && first.1[0].3 == cur)
        // Offsets and lengths the header cannot hold are refused, not wrapped.
        var buffer = [UInt8](repeating: 0, count: 8)
        buffer.withUnsafeMutableBytes { o in
            #expect(RedundantAudio.writeHeaders(primaryType: 0, redundant: (RedundantAudio.maximumOffset + 1, 10), into: o) == nil)
            #expect(RedundantAudio.writeHeaders(primaryType: 0, redundant: (160, RedundantAudio.maximumBlockLength + 1), into: o) == nil)
        }
    }

    @Test func hostilePayloadsPlayNothing() {
        let good = payload(primary: [1, 2, 3], previous: [4, 5, 6, 7])
        // Every truncation, a length beyond the payload, headers without end.
        for n in 0..<(good.count - 3) where n != 5 + 4 {
            let r = blocks(Array(good[0..<n]))
            #expect(!r.ok || r.1.allSatisfy { $0.3.count <= n }, "truncated at \(n)")
        }
        var long = good
        long[3] = 0xFF; long[2] |= 0x03
        #expect(blocks(long).ok == false && blocks(long).1.isEmpty)
        #expect(blocks([UInt8](repeating: 0x80, count: 64)).ok == false)
        #expect(blocks([]).ok == false)
        // Random bytes never trap (bounded: 20,000 payloads).
        var seed: UInt64 = 0x2198
        for _ in 0..<20_000 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            let count = Int(seed >> 58)
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: (seed >> UInt64(($0 % 7) * 8)) &+ UInt64($0)) }
            let r = blocks(bytes)
            #expect(r.1.reduce(0) { $0 + $1.3.count } <= bytes.count)
        }
    }

    @Test func theWindowLetsEachSequenceNumberPlayOnce() {
        var w = SequenceWindow()
        // 65_531 lost, then its copy once and not twice; across the wrap;
        // older than the window is taken as seen.
        let order: [(UInt16, Bool)] = [(65_530, false), (65_532, false), (65_531, true), (65_531, true), (65_532, true), (3, false),
                                       (65_532, false), (2, false), (3 &- 64, false)]
        let outcomes = order.map { w.insert($0.0, copy: $0.1) }
        #expect(outcomes == [.fresh, .fresh, .fresh, .seen, .seen, .fresh, .seen, .fresh, .seen])
        // A copy first, then its (reordered) original: not played twice, and the copy was no recovery.
        let reordered = [w.insert(5, copy: true), w.insert(4), w.insert(5), w.insert(5)]
        #expect(reordered == [.fresh, .fresh, .originalAfterCopy, .seen])
        w.reset()
        let again = w.insert(65_532)
        #expect(again == .fresh)
    }
}
