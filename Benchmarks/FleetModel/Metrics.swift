// Per-second figures of a fleet simulation, per site.

/// `v` with one decimal, for the fleet tools' reports (no Foundation here).
public func tenths(_ v: Double) -> String {
    let t = Int((v * 10).rounded())
    return "\(t < 0 ? "-" : "")\(abs(t) / 10).\(abs(t) % 10)"
}

public final class Metrics {
    public struct Second {
        public var offered = 0, retransmissions = 0, rejected = 0, dropped = 0
    }

    public private(set) var seconds: [[Second]] = [[], []]
    var readyFlags: [Bool]

    public init(endpoints: Int) { readyFlags = [Bool](repeating: false, count: endpoints) }

    private func bucket(_ site: Int, _ t: Double) -> Int {
        let s = max(0, Int(t))
        while seconds[site].count <= s { seconds[site].append(Second()) }
        return s
    }

    func offered(_ site: Int, _ t: Double, retransmission: Bool) { seconds[site][bucket(site, t)].offered += 1 }
    func retransmission(_ site: Int, _ t: Double) { seconds[site][bucket(site, t)].retransmissions += 1 }
    func rejected(_ site: Int, _ t: Double) { seconds[site][bucket(site, t)].rejected += 1 }
    func dropped(_ site: Int, _ t: Double) { seconds[site][bucket(site, t)].dropped += 1 }

    /// Sums over `range` (seconds) at `site`.
    public func total(_ site: Int, _ range: Range<Int>) -> Second {
        var s = Second()
        for t in range where t < seconds[site].count {
            let x = seconds[site][t]
            s.offered += x.offered; s.retransmissions += x.retransmissions; s.rejected += x.rejected; s.dropped += x.dropped
        }
        return s
    }

    public func peakOffered(_ site: Int, _ range: Range<Int>) -> Int {
        range.lazy.filter { $0 < self.seconds[site].count }.map { self.seconds[site][$0].offered }.max() ?? 0
    }

    /// The first second from which the offered load stays at or below `capacity` until `end`.
    public func calmFrom(_ site: Int, capacity: Double, _ range: Range<Int>) -> Int? {
        var calm: Int?
        for t in range {
            let offered = t < seconds[site].count ? seconds[site][t].offered : 0
            if Double(offered) > capacity { calm = nil } else if calm == nil { calm = t }
        }
        return calm
    }
}
