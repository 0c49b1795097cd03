import FleetModel
import Testing

/// Storm control on a small fleet (the model FleetSim runs at 50,000; here
/// 3,000 endpoints against a registrar of 300 REGISTER/s, the same ratio of
/// fleet to capacity, so the suite stays fast): the real RegistrationMachine,
/// keep-alive monitor and site selector on a virtual clock.
@Suite struct StormControlTests {
    static func settings(spread: Double) -> SimSettings {
        var s = SimSettings()
        s.endpoints = 3000
        s.capacity = 300
        s.rejectCapacity = 900
        s.keepAlive = nil // TCP: pings cost the registrar nothing, a lost flow is seen at once
        s.spread = spread
        return s
    }

    /// The preferred site is lost for 60 s and comes back. With the spread,
    /// the fleet's return stays under the registrar's capacity (no 503, no
    /// drop) and everyone is back within the window; without it, the return
    /// is a wall the registrar sheds with 503s. Business Continuity keeps every
    /// agent ready throughout.
    @Test func siteReturnIsSpreadBelowCapacity() {
        var results: [Double: (peak: Int, shed: Int, back: Double?, minReady: Double)] = [:]
        for spread in [0.0, 30.0] {
            let metrics = Metrics(endpoints: 3000)
            let sim = Simulation(Self.settings(spread: spread), metrics: metrics)
            sim.bootAll()
            sim.run(until: 100)
            #expect(sim.registered == [3000, 3000], "spread \(spread): the fleet did not register at boot: \(sim.registered)")
            sim.registrars[0].down = true
            sim.flowsFailed(site: 0)
            var minReady = 1.0
            for k in 1...600 { sim.run(until: 100 + Double(k) / 10); minReady = min(minReady, Double(sim.ready) / 3000) }
            sim.registrars[0].down = false
            var back: Double?
            for k in 1...1800 where back == nil {
                sim.run(until: 160 + Double(k) / 10)
                minReady = min(minReady, Double(sim.ready) / 3000)
                if sim.registered[0] == 3000 { back = Double(k) / 10 }
            }
            let shed = metrics.total(0, 160..<340)
            results[spread] = (metrics.peakOffered(0, 160..<340), shed.rejected + shed.dropped, back, minReady)
        }
        let spread = results[30]!, wall = results[0]!
        print("storm control, 3,000 endpoints, site back after 60 s: spread 30 s → peak \(spread.peak)/s, \(spread.shed) shed, all back in \(spread.back ?? -1) s; "
              + "no spread → peak \(wall.peak)/s, \(wall.shed) shed, all back in \(wall.back ?? -1) s")
        #expect(spread.peak <= 300 + 30, "the spread return still peaks at \(spread.peak)/s")
        #expect(spread.shed == 0)
        #expect((spread.back ?? 999) <= 35)
        #expect(wall.shed > 0 && wall.peak > 1000, "without the spread the return should overload: \(wall)")
        #expect(spread.minReady == 1 && wall.minReady == 1, "an agent lost its last site: \(spread.minReady) / \(wall.minReady)")
    }

    /// Half the capacity for the whole boot: whatever the registrar sheds,
    /// the fleet converges (the offered load falls below capacity and stays).
    @Test func coldStartAtHalfCapacityConverges() {
        var s = Self.settings(spread: 10)
        s.capacity = 150
        s.rejectCapacity = 450
        let metrics = Metrics(endpoints: 3000)
        let sim = Simulation(s, metrics: metrics)
        sim.bootAll()
        sim.run(until: 240)
        let calm = metrics.calmFrom(0, capacity: 150, 0..<240)
        #expect(sim.registered[0] == 3000, "\(sim.registered)")
        #expect((calm ?? 999) < 120, "offered load above capacity until \(calm.map(String.init) ?? "the end")")
    }
}
