/// One report block of an SR or RR (RFC 3550 §6.4.1).
public struct RTCPReportBlock: Sendable, Hashable {
    public var ssrc: UInt32
    public var fractionLost: UInt8
    /// 24-bit signed cumulative number of packets lost.
    public var cumulativeLost: Int32
    public var extendedHighestSequence: UInt32
    public var jitter: UInt32
    /// Middle 32 bits of the NTP time of the last SR received from that source.
    public var lastSR: UInt32
    /// Delay since that SR, 1/65536 s.
    public var delaySinceLastSR: UInt32

    public init(ssrc: UInt32, fractionLost: UInt8, cumulativeLost: Int32, extendedHighestSequence: UInt32, jitter: UInt32, lastSR: UInt32, delaySinceLastSR: UInt32) {
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = cumulativeLost
        self.extendedHighestSequence = extendedHighestSequence
        self.jitter = jitter
        self.lastSR = lastSR
        self.delaySinceLastSR = delaySinceLastSR
    }
}

extension RTCPReportBlock {
    /// The round-trip time this block reports (RFC 3550 §6.4.1: arrival −
    /// LSR − DLSR, all in 1/65536 s), in ms; nil without an SR to refer to.
    /// On a LAN the true value is below the units' rounding and the far
    /// end's DLSR, so it can come out a few units negative: up to 2 ms
    /// below zero reads as 0 (it used to read as "no RTT" on loopback);
    /// further below, the block is bogus and ignored.
    public func roundTripMs(arrivalMiddle: UInt32) -> Double? {
        guard lastSR != 0 else { return nil }
        let units = Int64(Int32(bitPattern: arrivalMiddle &- lastSR &- delaySinceLastSR))
        guard units >= -131 else { return nil } // 2 ms
        return Double(max(0, units)) * 1000 / 65536
    }
}

/// The RTCP packets this endpoint sends and reads (RFC 3550 §6.4–6.6).
public enum RTCPPacket: Sendable, Hashable {
    case senderReport(ssrc: UInt32, ntp: UInt64, rtpTimestamp: UInt32, packets: UInt32, octets: UInt32, reports: [RTCPReportBlock])
    case receiverReport(ssrc: UInt32, reports: [RTCPReportBlock])
    case sourceDescription(ssrc: UInt32, cname: String)
    case goodbye(ssrcs: [UInt32])
    /// A packet type we do not interpret (APP, feedback ...), skipped.
    case other(type: UInt8)

    /// Parses a compound RTCP packet (RFC 3550 §6.1); every length is checked.
    public static func parseCompound(_ b: UnsafeRawBufferPointer) throws(MediaError) -> [RTCPPacket] {
        var out: [RTCPPacket] = []
        var at = 0
        while at < b.count {
            guard b.count - at >= 4 else { throw MediaError(.truncated, "RTCP header cut short at byte \(at)") }
            guard b[at] >> 6 == 2 else { throw MediaError(.malformed, "RTCP version \(b[at] >> 6) at byte \(at)") }
            let count = Int(b[at] & 0x1F), type = b[at + 1]
            let length = (Int(b[at + 2]) << 8 | Int(b[at + 3]) + 1) * 4
            guard at + length <= b.count else { throw MediaError(.truncated, "RTCP packet type \(type) claims \(length) bytes, \(b.count - at) left") }
            let p = UnsafeRawBufferPointer(rebasing: b[at..<(at + length)])
            func word(_ i: Int) -> UInt32 { UInt32(p[i]) << 24 | UInt32(p[i + 1]) << 16 | UInt32(p[i + 2]) << 8 | UInt32(p[i + 3]) }
            func blocks(from start: Int) throws(MediaError) -> [RTCPReportBlock] {
                guard start + count * 24 <= length else { throw MediaError(.truncated, "RTCP type \(type) too short for \(count) report blocks") }
                return (0..<count).map { i in
                    let o = start + i * 24
                    let lostRaw = word(o + 4) & 0x00FF_FFFF
                    let lost = lostRaw & 0x80_0000 != 0 ? Int32(bitPattern: lostRaw | 0xFF00_0000) : Int32(lostRaw)
                    return RTCPReportBlock(ssrc: word(o), fractionLost: p[o + 4], cumulativeLost: lost, extendedHighestSequence: word(o + 8),
                                           jitter: word(o + 12), lastSR: word(o + 16), delaySinceLastSR: word(o + 20))
                }
            }
            switch type {
            case 200:
                guard length >= 28 else { throw MediaError(.truncated, "RTCP SR shorter than 28 bytes") }
                out.append(.senderReport(ssrc: word(4), ntp: UInt64(word(8)) << 32 | UInt64(word(12)), rtpTimestamp: word(16),
                                         packets: word(20), octets: word(24), reports: try blocks(from: 28)))
            case 201:
                guard length >= 8 else { throw MediaError(.truncated, "RTCP RR shorter than 8 bytes") }
                out.append(.receiverReport(ssrc: word(4), reports: try blocks(from: 8)))
            case 202:
                // The first chunk's CNAME is all we use.
                if count >= 1, length >= 10, p[8] == 1 {
                    let n = Int(p[9])
                    guard 10 + n <= length else { throw MediaError(.truncated, "RTCP SDES item longer than its packet") }
                    out.append(.sourceDescription(ssrc: word(4), cname: String(decoding: p[10..<(10 + n)], as: UTF8.self)))
                } else {
                    out.append(.other(type: type))
                }
            case 203:
                guard 4 + count * 4 <= length else { throw MediaError(.truncated, "RTCP BYE too short for \(count) sources") }
                out.append(.goodbye(ssrcs: (0..<count).map { word(4 + $0 * 4) }))
            default:
                out.append(.other(type: type))
            }
            at += length
        }
        guard !out.isEmpty else { throw MediaError(.truncated, "empty RTCP packet") }
        return out
    }

    /// Appends this packet's wire form to `out`.
    public func write(to out: inout [UInt8]) {
        func put(_ w: UInt32) { out += [UInt8(w >> 24), UInt8(truncatingIfNeeded: w >> 16), UInt8(truncatingIfNeeded: w >> 8), UInt8(truncatingIfNeeded: w)] }
        func header(_ count: Int, _ type: UInt8, words: Int) { out += [0x80 | UInt8(count), type, UInt8(words >> 8), UInt8(truncatingIfNeeded: words)] }
        func put(_ r: RTCPReportBlock) {
            put(r.ssrc)
            put(UInt32(r.fractionLost) << 24 | UInt32(bitPattern: r.cumulativeLost) & 0x00FF_FFFF)
            put(r.extendedHighestSequence); put(r.jitter); put(r.lastSR); put(r.delaySinceLastSR)
        }
        switch self {
        case let .senderReport(ssrc, ntp, ts, packets, octets, reports):
            header(reports.count, 200, words: 6 + 6 * reports.count)
            put(ssrc); put(UInt32(ntp >> 32)); put(UInt32(truncatingIfNeeded: ntp)); put(ts); put(packets); put(octets)
            reports.forEach(put)
        case let .receiverReport(ssrc, reports):
            header(reports.count, 201, words: 1 + 6 * reports.count)
            put(ssrc)
            reports.forEach(put)
        case let .sourceDescription(ssrc, cname):
            let name = Array(cname.utf8.prefix(255))
            let body = 4 + 2 + name.count + 1 // ssrc, item header, text, END
            let padded = (body + 3) / 4 * 4
            header(1, 202, words: padded / 4)
            put(ssrc)
            out += [1, UInt8(name.count)] + name
            out += [UInt8](repeating: 0, count: padded - body + 1)
        case let .goodbye(ssrcs):
            header(ssrcs.count, 203, words: ssrcs.count)
            ssrcs.forEach { put($0) }
        case .other:
            break
        }
    }
}
