/// One SRV record (RFC 2782).
public struct SRVRecord: Sendable, Hashable {
    public var priority: UInt16
    public var weight: UInt16
    public var port: UInt16
    public var target: String

    public init(priority: UInt16, weight: UInt16, port: UInt16, target: String) {
        self.priority = priority
        self.weight = weight
        self.port = port
        self.target = target
    }
}

/// RFC 2782 target selection: lowest priority first; within a priority,
/// repeatedly pick a record with probability proportional to its weight
/// (zero-weight records keep a small chance), randomness injected.
public enum SRVSelection {
    public static func order(_ records: [SRVRecord], random: RandomSource) -> [SRVRecord] {
        // "." as the only target means the service is decidedly not available.
        let usable = records.filter { $0.target != "." && !$0.target.isEmpty }
        var out: [SRVRecord] = []
        for priority in Set(usable.map(\.priority)).sorted() {
            // Zero weights first, as RFC 2782 suggests, then the running-sum draw.
            var pool = usable.filter { $0.priority == priority }.sorted { ($0.weight == 0 ? 0 : 1) < ($1.weight == 0 ? 0 : 1) }
            while !pool.isEmpty {
                let total = pool.reduce(0) { $0 + Int($1.weight) }
                let draw = total == 0 ? 0 : Int(random.next() % UInt64(total + 1))
                var running = 0
                var index = pool.count - 1
                for (i, r) in pool.enumerated() {
                    running += Int(r.weight)
                    if running >= draw { index = i; break }
                }
                out.append(pool.remove(at: index))
            }
        }
        return out
    }
}
