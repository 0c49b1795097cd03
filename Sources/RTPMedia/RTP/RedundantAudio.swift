/// RFC 2198 redundant audio ("red"): a packet carries, before its own
/// frame, a copy of the previous one, so a single lost packet is rebuilt
/// whole from the next instead of concealed. For G.711, which has no
/// in-band FEC, this is the only way a receiver gets a lost frame back;
/// for Opus it lets the cheap CELT encoder ride out loss that would
/// otherwise need SILK with FEC (four times the CPU, MediaBench).
///
/// Layout of the payload: one 4-byte header per redundant block
/// (F=1 | block PT, 14-bit timestamp offset, 10-bit length), a 1-byte
/// header for the primary (F=0 | PT), then the blocks' data in the same order.
public enum RedundantAudio {
    /// Most block headers a received payload may have (RFC 2198 sets no
    /// limit; real senders use one or two): bounds the parse.
    public static let maximumBlocks = 8
    /// The 14-bit timestamp offset and 10-bit length of a redundant block.
    public static let maximumOffset: UInt32 = (1 << 14) - 1
    public static let maximumBlockLength = (1 << 10) - 1

    /// Writes the headers for `primaryType` and, when given, one redundant
    /// block of the same type `offset` ticks older and `length` bytes long,
    /// at the start of `out`; returns their size. The data goes after them
    /// (the redundant block's first). Nil when the block cannot be described
    /// (offset or length out of range) or `out` is too small.
    public static func writeHeaders(primaryType: UInt8, redundant: (offset: UInt32, length: Int)?,
                                    into out: UnsafeMutableRawBufferPointer) -> Int? {
        guard let r = redundant else {
            guard out.count >= 1 else { return nil }
            out[0] = primaryType & 0x7F
            return 1
        }
        guard r.offset <= maximumOffset, r.length >= 0, r.length <= maximumBlockLength, out.count >= 5 else { return nil }
        out[0] = 0x80 | (primaryType & 0x7F)
        out[1] = UInt8(truncatingIfNeeded: r.offset >> 6)
        out[2] = UInt8(truncatingIfNeeded: (r.offset & 0x3F) << 2) | UInt8(truncatingIfNeeded: r.length >> 8)
        out[3] = UInt8(truncatingIfNeeded: r.length)
        out[4] = primaryType & 0x7F
        return 5
    }

    /// One block of a received payload.
    public struct Block {
        public var payloadType: UInt8
        /// The block's own RTP timestamp (the packet's minus its offset).
        public var timestamp: UInt32
        /// Blocks after this one in the packet: 0 for the primary, 1 for
        /// the frame just before it (its sequence number is one less), ...
        public var distance: Int
        public var data: UnsafeRawBufferPointer
    }

    /// Calls `body` with every block of `payload` (the RTP packet's, whose
    /// timestamp is `timestamp`), oldest first, the primary last. Returns
    /// false, calling `body` for nothing, when the payload is malformed
    /// (headers running past the end, more than ``maximumBlocks``, block
    /// lengths beyond the payload): nothing of such a packet is played.
    @discardableResult
    public static func forEachBlock(_ payload: UnsafeRawBufferPointer, timestamp: UInt32, _ body: (Block) -> Void) -> Bool {
        // First pass: the headers, checked against the payload's size.
        var headers = 0, i = 0, dataBytes = 0
        while true {
            guard i < payload.count, headers < maximumBlocks else { return false }
            if payload[i] & 0x80 == 0 { i += 1; headers += 1; break }
            guard i + 4 <= payload.count else { return false }
            dataBytes += Int(payload[i + 2] & 0x03) << 8 | Int(payload[i + 3])
            i += 4
            headers += 1
        }
        guard i + dataBytes <= payload.count else { return false }
        // Second pass: each block's data, in header order.
        var h = 0, data = i
        for k in 0..<headers {
            let type = payload[h] & 0x7F
            if k == headers - 1 {
                body(Block(payloadType: type, timestamp: timestamp, distance: 0,
                           data: UnsafeRawBufferPointer(rebasing: payload[data..<payload.count])))
            } else {
                let offset = UInt32(payload[h + 1]) << 6 | UInt32(payload[h + 2] >> 2)
                let length = Int(payload[h + 2] & 0x03) << 8 | Int(payload[h + 3])
                body(Block(payloadType: type, timestamp: timestamp &- offset, distance: headers - 1 - k,
                           data: UnsafeRawBufferPointer(rebasing: payload[data..<(data + length)])))
                data += length
                h += 4
            }
        }
        return true
    }
}
