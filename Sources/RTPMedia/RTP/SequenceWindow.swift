/// Which recent sequence numbers a stream has received (a 64-packet
/// window), and which of them only as a redundant copy so far: a copy is
/// played only when its original has not come, an original that comes
/// after its copy is not played twice, and a copy counts as a loss made
/// good only if the original never comes (reordering is not loss).
struct SequenceWindow: Sendable {
    enum Outcome: Equatable { case fresh, seen, originalAfterCopy }

    private var newest: UInt16 = 0
    private var seen: UInt64 = 0
    private var copies: UInt64 = 0
    private var started = false

    /// Marks `sequence` received (`copy`: as a redundant block).
    mutating func insert(_ sequence: UInt16, copy: Bool = false) -> Outcome {
        guard started else {
            started = true
            newest = sequence
            seen = 1
            copies = copy ? 1 : 0
            return .fresh
        }
        let ahead = Int16(bitPattern: sequence &- newest)
        var bit: UInt64 = 1
        if ahead > 0 {
            seen = ahead >= 64 ? 0 : seen << UInt64(ahead)
            copies = ahead >= 64 ? 0 : copies << UInt64(ahead)
            newest = sequence
        } else {
            let back = -Int(ahead)
            guard back < 64 else { return .seen }
            bit <<= UInt64(back)
        }
        if seen & bit != 0 {
            guard !copy, copies & bit != 0 else { return .seen }
            copies &= ~bit
            return .originalAfterCopy
        }
        seen |= bit
        if copy { copies |= bit }
        return .fresh
    }

    /// Starts over (another source).
    mutating func reset() { self = SequenceWindow() }
}
