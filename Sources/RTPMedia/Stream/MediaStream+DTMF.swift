import Synchronization

/// RFC 4733 telephone events: digits sent in place of audio (100 ms each,
/// the end packet three times) and digits received, reported once.
extension MediaStream {
    /// Queues digits to send as RFC 4733 events (100 ms each, 40 ms apart).
    public func sendDTMF(_ digits: String) {
        let codes = digits.compactMap { d in Self.dtmfDigits.firstIndex(of: Character(d.uppercased())).map { UInt8($0) } }
        dtmfOut.withLock { $0 += codes }
    }

    /// One period of the current (or next) event; false when there is none to send.
    func sendingEvent(_ a: Audio) -> Bool {
        let ticks = UInt32(a.parameters.rtpClockRate * a.parameters.ptimeMs / 1000)
        if a.event == nil {
            if a.gap > 0 { a.gap -= 1; return false }
            guard let code = dtmfOut.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { return false }
            a.event = (code, a.timestamp, 0)
        }
        guard var e = a.event, let pt = a.parameters.telephoneEventPayloadType else { return false }
        e.periods += 1
        let ending = e.periods >= 5
        let duration = UInt16(truncatingIfNeeded: UInt32(e.periods) * ticks)
        // RFC 4733 §2.5.1.4: the end packet goes three times.
        for _ in 0..<(ending ? 3 : 1) {
            let header = RTPHeader(marker: e.periods == 1, payloadType: pt, sequenceNumber: a.sequence, timestamp: e.start, ssrc: ssrc)
            header.write(to: a.packet)
            a.packet[12] = e.code
            a.packet[13] = (ending ? 0x80 : 0) | 10 // E bit, volume −10 dBm0
            a.packet[14] = UInt8(duration >> 8)
            a.packet[15] = UInt8(truncatingIfNeeded: duration)
            transmit(a, length: 16)
            a.sequence &+= 1
        }
        a.timestamp &+= ticks
        a.previousLength = nil // the frame before a digit is no copy for the audio after it
        a.event = ending ? nil : e
        if ending { a.gap = 2 }
        return true
    }

    /// RFC 4733 event codes 0–15.
    static let dtmfDigits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#", "A", "B", "C", "D"]

    /// RFC 4733: report a digit once, at its first end packet.
    func dtmf(_ payload: UnsafeRawBufferPointer, timestamp: UInt32, state n: inout Network) {
        guard payload.count >= 4, payload[1] & 0x80 != 0, n.lastDTMFTimestamp != timestamp else { return }
        n.lastDTMFTimestamp = timestamp
        if Int(payload[0]) < Self.dtmfDigits.count { onDTMF?(Self.dtmfDigits[Int(payload[0])]) }
    }
}
