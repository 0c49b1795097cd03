/// The fixed RTP header (RFC 3550 §5.1) of one packet, read in place: the
/// payload stays in the caller's buffer (`payloadOffset`, `payloadLength`),
/// so receiving a packet allocates nothing.
public struct RTPHeader: Sendable, Hashable {
    public var marker: Bool
    public var payloadType: UInt8
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    /// Where the payload starts (after CSRCs and any header extension).
    public var payloadOffset: Int
    /// Payload bytes, padding removed.
    public var payloadLength: Int

    /// Size of the header this endpoint writes (no CSRC, no extension).
    public static let size = 12

    public init(marker: Bool = false, payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32) {
        self.marker = marker
        self.payloadType = payloadType
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.payloadOffset = Self.size
        self.payloadLength = 0
    }

    /// Parses the header of `packet`; throws `.truncated` or `.malformed` with the reason.
    public init(parsing packet: UnsafeRawBufferPointer) throws(MediaError) {
        let n = packet.count
        guard n >= Self.size else { throw MediaError(.truncated, "RTP packet of \(n) bytes is shorter than the 12-byte header") }
        let b0 = packet[0], b1 = packet[1]
        guard b0 >> 6 == 2 else { throw MediaError(.malformed, "RTP version \(b0 >> 6), not 2") }
        // RTCP packet types 200–204 land here when rtcp-mux is on (RFC 5761 §4).
        guard !(72...76).contains(b1 & 0x7F) else { throw MediaError(.malformed, "payload type \(b1 & 0x7F) is RTCP's range") }
        var offset = Self.size + 4 * Int(b0 & 0x0F)
        guard offset <= n else { throw MediaError(.truncated, "RTP packet too short for its \(b0 & 0x0F) CSRCs") }
        if b0 & 0x10 != 0 {
            guard offset + 4 <= n else { throw MediaError(.truncated, "RTP header extension cut short") }
            let words = Int(packet[offset + 2]) << 8 | Int(packet[offset + 3])
            offset += 4 + 4 * words
            guard offset <= n else { throw MediaError(.truncated, "RTP header extension of \(words) words exceeds the packet") }
        }
        var end = n
        if b0 & 0x20 != 0 {
            let pad = Int(packet[n - 1])
            guard pad >= 1, offset + pad <= n else { throw MediaError(.malformed, "RTP padding of \(pad) bytes does not fit the packet") }
            end -= pad
        }
        marker = b1 & 0x80 != 0
        payloadType = b1 & 0x7F
        sequenceNumber = UInt16(packet[2]) << 8 | UInt16(packet[3])
        timestamp = UInt32(packet[4]) << 24 | UInt32(packet[5]) << 16 | UInt32(packet[6]) << 8 | UInt32(packet[7])
        ssrc = UInt32(packet[8]) << 24 | UInt32(packet[9]) << 16 | UInt32(packet[10]) << 8 | UInt32(packet[11])
        payloadOffset = offset
        payloadLength = end - offset
    }

    /// Writes the 12-byte header at the start of `buffer` (which must hold it).
    public func write(to buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= Self.size)
        buffer[0] = 0x80
        buffer[1] = (marker ? 0x80 : 0) | (payloadType & 0x7F)
        buffer[2] = UInt8(sequenceNumber >> 8); buffer[3] = UInt8(truncatingIfNeeded: sequenceNumber)
        buffer[4] = UInt8(timestamp >> 24); buffer[5] = UInt8(truncatingIfNeeded: timestamp >> 16)
        buffer[6] = UInt8(truncatingIfNeeded: timestamp >> 8); buffer[7] = UInt8(truncatingIfNeeded: timestamp)
        buffer[8] = UInt8(ssrc >> 24); buffer[9] = UInt8(truncatingIfNeeded: ssrc >> 16)
        buffer[10] = UInt8(truncatingIfNeeded: ssrc >> 8); buffer[11] = UInt8(truncatingIfNeeded: ssrc)
    }

    /// True when the first bytes look like RTCP (RFC 5761 §4: packet types 192–223 / 200–204 in use).
    public static func isRTCP(_ packet: UnsafeRawBufferPointer) -> Bool {
        packet.count >= 2 && packet[0] >> 6 == 2 && (192...223).contains(packet[1])
    }
}
