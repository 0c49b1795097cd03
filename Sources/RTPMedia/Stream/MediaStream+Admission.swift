#if canImport(Glibc)
import Glibc
#endif

/// What a received packet must pass before it is used.
extension MediaStream {
    /// The checks every packet passes: from the negotiated address (no media
    /// hijack), and authentic under SRTP/SRTCP. Returns the plain length.
    func admit(_ packet: UnsafeMutableRawBufferPointer, from: UnsafePointer<sockaddr_storage>, rtcp: Bool, _ n: inout Network) -> Int? {
        guard let remote = n.remote, remote.sameHost(as: from) else {
            n.foreign += 1
            return nil
        }
        guard let srtp = n.inbound else { return packet.count }
        // A packet that fails authentication is left as it came, so the previous keys can still try it.
        if let length = Self.unprotect(packet, with: srtp, rtcp: rtcp) { return length }
        if let previous = n.previousInbound {
            if clock() >= previous.until {
                n.previousInbound = nil
            } else if let length = Self.unprotect(packet, with: previous.session, rtcp: rtcp) {
                return length
            }
        }
        srtpFailures.add(1, ordering: .relaxed)
        return nil
    }

    /// How long the far end's previous keys still open packets after a
    /// re-INVITE changed them: packets in flight at the change (a network's
    /// worth of delay and jitter, and a receive queue behind it).
    static let previousKeysGraceMicros: Int64 = 2_000_000

    fileprivate static func unprotect(_ packet: UnsafeMutableRawBufferPointer, with srtp: SRTPSession, rtcp: Bool) -> Int? {
        rtcp ? try? srtp.unprotectRTCP(packet, length: packet.count) : try? srtp.unprotect(packet, length: packet.count)
    }
}
