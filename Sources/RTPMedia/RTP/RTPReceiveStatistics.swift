/// What a receiver knows about one source (RFC 3550 §6.4.1, Appendix A.1,
/// A.3, A.8): extended highest sequence number with wrap-around cycles,
/// expected/lost counts, interarrival jitter. Pure: arrival times are passed
/// in, in RTP timestamp units of the stream's clock.
public struct RTPReceiveStatistics: Sendable {
    /// A jump larger than this restarts the sequence (RFC 3550 A.1 MAX_DROPOUT).
    static let maxDropout: UInt16 = 3000
    static let maxMisorder: UInt16 = 100

    public private(set) var ssrc: UInt32?
    public private(set) var received: UInt64 = 0
    private var baseSequence: UInt32 = 0
    private var maxSequence: UInt16 = 0
    private var cycles: UInt32 = 0
    private var badSequence: UInt32 = UInt32.max
    /// Interarrival jitter estimate, timestamp units (RFC 3550 A.8).
    public private(set) var jitter: Double = 0
    private var lastTransit: Int64?
    private var expectedPrior: UInt64 = 0
    private var receivedPrior: UInt64 = 0
    /// Duplicates seen (counted, not played).
    public private(set) var duplicates: UInt64 = 0
    /// Times the source restarted (new SSRC, or a big sequence jump accepted).
    public private(set) var restarts = 0

    public init() {}

    /// Extended highest sequence number received.
    public var extendedMax: UInt32 { cycles &+ UInt32(maxSequence) }

    public var expected: UInt64 { received == 0 ? 0 : UInt64(extendedMax &- baseSequence) &+ 1 }

    /// Cumulative number of packets lost (may be negative with duplicates, RFC 3550 §6.4.1).
    public var cumulativeLost: Int64 { Int64(expected) - Int64(received) }

    public enum Verdict: Sendable, Equatable {
        case accepted
        /// Older than the newest (reordered in the network): still for the
        /// jitter buffer, which knows whether it can be played.
        case reordered
        /// The same sequence number as the newest again.
        case duplicate
        /// A big jump: ignored until the next packet confirms it (RFC 3550 A.1).
        case probation
    }

    /// Records a packet's arrival; `arrival` is the local clock in the stream's timestamp units.
    public mutating func record(ssrc: UInt32, sequence: UInt16, timestamp: UInt32, arrival: Int64) -> Verdict {
        if self.ssrc != ssrc {
            if self.ssrc != nil { restarts += 1 }
            self = RTPReceiveStatistics(restarts: restarts)
            self.ssrc = ssrc
            start(at: sequence)
            received = 1
            updateJitter(timestamp: timestamp, arrival: arrival)
            return .accepted
        }
        let delta = sequence &- maxSequence
        if delta == 0 {
            duplicates += 1
            return .duplicate
        } else if delta < Self.maxDropout {
            if sequence < maxSequence { cycles &+= 1 << 16 }
            maxSequence = sequence
        } else if delta <= UInt16.max - Self.maxMisorder {
            // A very large jump: accept only if the next packet follows it.
            if UInt32(sequence) == badSequence {
                restarts += 1
                start(at: sequence)
            } else {
                badSequence = UInt32(sequence &+ 1)
                return .probation
            }
        } else {
            // Reordered within the misorder window.
            received += 1
            return .reordered
        }
        received += 1
        updateJitter(timestamp: timestamp, arrival: arrival)
        return .accepted
    }

    private init(restarts: Int) { self.restarts = restarts }

    private mutating func start(at sequence: UInt16) {
        baseSequence = UInt32(sequence)
        maxSequence = sequence
        cycles = 0
        badSequence = UInt32.max
        expectedPrior = 0
        receivedPrior = 0
        lastTransit = nil
    }

    private mutating func updateJitter(timestamp: UInt32, arrival: Int64) {
        let transit = arrival - Int64(timestamp)
        if let last = lastTransit {
            let d = Double(abs(transit - last))
            jitter += (d - jitter) / 16
        }
        lastTransit = transit
    }

    /// The report block fields since the previous call (RFC 3550 A.3):
    /// fraction lost in the interval (1/256 units) and cumulative lost.
    public mutating func intervalReport() -> (fractionLost: UInt8, cumulativeLost: Int32, extendedMax: UInt32, jitter: UInt32) {
        let expectedInterval = expected &- expectedPrior
        let receivedInterval = received &- receivedPrior
        expectedPrior = expected
        receivedPrior = received
        let lostInterval = Int64(expectedInterval) - Int64(receivedInterval)
        let fraction: UInt8 = expectedInterval == 0 || lostInterval <= 0 ? 0 : UInt8(min(255, (lostInterval << 8) / Int64(expectedInterval)))
        let cumulative = Int32(clamping: max(-0x80_0000, min(0x7F_FFFF, cumulativeLost)))
        return (fraction, cumulative, extendedMax, UInt32(jitter))
    }
}
