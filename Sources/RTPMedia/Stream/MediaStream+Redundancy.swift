/// RFC 2198 redundant audio in a stream: what goes into a packet before
/// its own frame, and what a received one gives to the jitter buffer.
extension MediaStream {
    /// Writes the RED headers and the previous frame after the RTP header
    /// of the audio packet buffer; returns how many bytes that took (the
    /// primary's 1-byte header alone when there is nothing to repeat).
    func writeRedundancy(_ a: Audio) -> Int {
        let out = UnsafeMutableRawBufferPointer(rebasing: a.packet[RTPHeader.size...])
        let p = a.parameters
        if let length = a.previousLength,
           let h = RedundantAudio.writeHeaders(primaryType: p.payloadType, redundant: (a.timestamp &- a.previousTimestamp, length), into: out) {
            UnsafeMutableRawBufferPointer(rebasing: out[h..<(h + length)]).copyMemory(from: UnsafeRawBufferPointer(rebasing: a.previous[0..<length]))
            return h + length
        }
        return RedundantAudio.writeHeaders(primaryType: p.payloadType, redundant: nil, into: out) ?? 0
    }

    /// Frames larger than this are not repeated: two of them would not fit
    /// a typical path MTU (voice at up to ~200 kbit/s fits; 64 kbit/s Opus is 160 bytes).
    static let largestRepeatedFrame = 500

    /// Keeps the frame just encoded as the next packet's redundant block.
    func keepForRedundancy(_ a: Audio, _ frame: UnsafeRawBufferPointer) {
        guard frame.count <= a.previous.count else { a.previousLength = nil; return }
        a.previous.copyMemory(from: frame)
        a.previousLength = frame.count
        a.previousTimestamp = a.timestamp
    }

    /// A RED packet (counted by the caller as one packet of the stream): its
    /// primary plays as usual, and an older block only when its own packet never came.
    func receiveRedundant(_ h: RTPHeader, _ payload: UnsafeRawBufferPointer, parameters p: StreamParameters, now: Int64, state n: inout Network) {
        RedundantAudio.forEachBlock(payload, timestamp: h.timestamp) { b in
            guard b.payloadType == p.payloadType,
                  firstArrival(h.ssrc, h.sequenceNumber &- UInt16(truncatingIfNeeded: b.distance), copy: b.distance > 0, &n) else { return }
            // The copy is dated when its original would have come (one frame
            // per block earlier): the jitter buffer measures transit, and a
            // copy's lateness is not the network's jitter.
            let age = Int64(h.timestamp &- b.timestamp) * 1_000_000 / Int64(p.rtpClockRate)
            if b.distance > 0 {
                n.copiesUsed += 1
                recovered.add(1, ordering: .relaxed)
            }
            packets.push(b.data, timestamp: b.timestamp, payloadType: b.payloadType, arrival: now - age)
        }
    }

    /// Marks a packet of `ssrc` received (`copy`: a redundant block of it);
    /// false when it (or its copy) already was. An original coming after
    /// its copy was reordered, not lost: the copy no longer counts as a recovery.
    func firstArrival(_ ssrc: UInt32, _ sequence: UInt16, copy: Bool = false, _ n: inout Network) -> Bool {
        if n.windowSSRC != ssrc {
            n.windowSSRC = ssrc
            n.window.reset()
        }
        switch n.window.insert(sequence, copy: copy) {
        case .fresh: return true
        case .seen: return false
        case .originalAfterCopy:
            n.copiesUsed -= 1
            recovered.subtract(1, ordering: .relaxed)
            return false
        }
    }
}
