/// Keep-alive settings for a registration's flow (RFC 5626 §4.4): CRLF
/// pings on TCP/TLS, binding probes (REGISTER queries) on UDP.
public struct KeepAliveSettings: Sendable, Hashable {
    public var interval: Duration
    /// Unanswered keep-alives in a row that mean the flow is dead: UDP may
    /// lose one datagram; a stream either answers or is gone.
    public var udpMisses: Int
    public var streamMisses: Int

    public init(interval: Duration = .milliseconds(1500), udpMisses: Int = 2, streamMisses: Int = 1) {
        self.interval = interval
        self.udpMisses = max(1, udpMisses)
        self.streamMisses = max(1, streamMisses)
    }
}

/// Counts unanswered keep-alives, as a pure state machine: every tick sends
/// a probe; a tick that finds the previous probe unanswered is a miss.
public struct KeepAliveMonitor: Sendable {
    public enum Event: Sendable { case tick, answered }
    public enum Action: Sendable, Equatable { case probe, failed(String) }

    public let threshold: Int
    public private(set) var misses = 0
    private var outstanding = false

    public init(threshold: Int) { self.threshold = max(1, threshold) }

    public mutating func handle(_ event: Event) -> [Action] {
        switch event {
        case .answered:
            outstanding = false
            misses = 0
            return []
        case .tick:
            if outstanding {
                misses += 1
                if misses >= threshold {
                    let n = misses
                    misses = 0
                    outstanding = false
                    return [.failed("no answer to \(n) keep-alive\(n == 1 ? "" : "s")")]
                }
            }
            outstanding = true
            return [.probe]
        }
    }
}
