/// A Prometheus-style histogram of durations (seconds): fixed upper bounds,
/// counts per bucket, sum and count. For the answer delay of incoming calls.
public struct DelayHistogram: Sendable, Hashable {
    /// Upper bounds of the buckets, seconds (the last bucket, +Inf, is implied).
    public let bounds: [Double]
    /// Observations per bucket (not cumulative); one more than `bounds`.
    public private(set) var counts: [Int]
    public private(set) var sum = 0.0
    public private(set) var count = 0

    public init(bounds: [Double] = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120]) {
        self.bounds = bounds
        counts = [Int](repeating: 0, count: bounds.count + 1)
    }

    public mutating func observe(_ seconds: Double) {
        let s = max(0, seconds)
        counts[bounds.firstIndex { s <= $0 } ?? bounds.count] += 1
        sum += s
        count += 1
    }

    /// (upper bound, observations at or below it), +Inf last: the exposition's `_bucket` lines.
    public var cumulative: [(le: String, count: Int)] {
        var running = 0
        return counts.enumerated().map { i, n in
            running += n
            return (i < bounds.count ? Self.text(bounds[i]) : "+Inf", running)
        }
    }

    static func text(_ d: Double) -> String { d == d.rounded() ? String(Int(d)) : String(d) }
}
