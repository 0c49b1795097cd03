// Registration storms, simulated: N endpoints (default 50,000) with the
// project's own RegistrationMachine, KeepAliveMonitor and SiteSelector on
// a virtual clock, against two modelled registrars of finite capacity
// (Registrar.swift). Four scenarios:
//   a  cold start of the whole fleet (a floor's boot after a power cut)
//   b  the preferred site lost for 60 s (nothing listens), then back
//   c  the preferred registrar restarts (10 s) with an empty location table
//   d  cold start while the registrar runs at half capacity for 5 minutes
// For each: peak offered REGISTER rate (with retransmissions and probes),
// 503s, drops, retransmissions, time until 99 % / 100 % registered at the
// preferred site, the lowest share of agents ready (some site standing),
// and whether the offered load settled below capacity and stayed there.
//
// swift run -c release FleetSim [scenario a|b|c|d|all] [endpoints] [key=value ...]
// keys: spread, keepalive (seconds of UDP binding probes, with UDP
// retransmissions; 0 = TCP: CRLF pings that cost the registrar nothing, no
// retransmissions, a lost flow seen at once), capacity, retry-after, unreachable-retry, retry-base,
// timeout, expires, horizon (simulated seconds after the event, default 240).
import FleetModel
#if canImport(Glibc)
import Glibc
#endif

var settings = SimSettings()
/// Simulated seconds after the event (cold start: after boot).
var horizon = 240.0
var scenarios = ["a", "b", "c", "d"]
var args = Array(CommandLine.arguments.dropFirst())
if let first = args.first, ["a", "b", "c", "d", "all"].contains(first) {
    if first != "all" { scenarios = [first] }
    args.removeFirst()
}
if let first = args.first, let n = Int(first) { settings.endpoints = n; args.removeFirst() }
for a in args {
    let kv = a.split(separator: "=", maxSplits: 1).map(String.init)
    guard kv.count == 2, let v = Double(kv[1]) else { print("bad argument \(a)"); exit(2) }
    switch kv[0] {
    case "spread": settings.spread = v
    case "keepalive": settings.keepAlive = v > 0 ? v : nil
    case "capacity": settings.capacity = v
    case "retry-after": settings.retryAfter = Int(v)
    case "unreachable-retry": settings.unreachableRetry = v
    case "retry-base": settings.retryBase = v
    case "timeout": settings.transactionTimeout = v
    case "expires": settings.expires = UInt32(v)
    case "horizon": horizon = v
    default: print("unknown key \(kv[0])"); exit(2)
    }
}

func fmt(_ v: Double?) -> String { v.map(tenths) ?? "never" }

/// Runs until `end`, noting when the preferred site's registrations first
/// reached 99 % and 100 % after `from`, and the lowest ready share.
func watch(_ sim: Simulation, from: Double, until end: Double) -> (p99: Double?, p100: Double?, minReady: Double?) {
    var p99: Double?, p100: Double?
    var minReady = 1.0
    var t = from
    while t < end {
        t += 0.1
        sim.run(until: t)
        let share = Double(sim.registered[0]) / Double(sim.settings.endpoints)
        if p99 == nil, share >= 0.99 { p99 = t - from }
        if p100 == nil, share >= 1.0 { p100 = t - from }
        if share < 0.99 { p99 = nil; p100 = nil }
        minReady = min(minReady, Double(sim.ready) / Double(sim.settings.endpoints))
    }
    return (p99, p100, minReady)
}

func report(_ name: String, _ sim: Simulation, _ metrics: Metrics, from: Int, to: Int, _ w: (p99: Double?, p100: Double?, minReady: Double?)) {
    let tot = metrics.total(0, from..<to)
    let calm = metrics.calmFrom(0, capacity: sim.settings.capacity, from..<to)
    let converged = calm.map { $0 < to - 30 } ?? false
    print("\(name): peak \(metrics.peakOffered(0, from..<to)) REGISTER/s offered (capacity \(Int(sim.settings.capacity))), "
          + "\(tot.offered) offered, \(tot.retransmissions) retransmissions, \(tot.rejected) 503s, \(tot.dropped) dropped; "
          + "99 % registered after \(fmt(w.p99)) s, 100 % after \(fmt(w.p100)) s; \(w.minReady.map { "agents ready (a site standing) ≥ \(Int($0 * 1000) / 10) % throughout; " } ?? "")"
          + (converged ? "load below capacity from \(calm! - from) s on: converged" : "load still above capacity at the end: NOT converged"))
}

print("FleetSim: \(settings.endpoints) endpoints x 2 sites; registrar \(Int(settings.capacity)) REGISTER/s, 503 beyond \(settings.queueLimit) s of queue "
      + "(Retry-After \(settings.retryAfter)), drops beyond \(Int(settings.rejectCapacity)) 503/s; spread \(settings.spread) s, keep-alive "
      + "\(settings.keepAlive.map { "UDP probe every \($0) s" } ?? "free (TCP CRLF)"), unreachable retry \(settings.unreachableRetry) s, "
      + "retry base \(settings.retryBase) s, REGISTER timeout \(settings.transactionTimeout) s, expires \(settings.expires) s")

/// A fleet that has registered: cold start at ample capacity, then the real one.
func warmFleet(_ s: SimSettings) -> (Simulation, Metrics) {
    let metrics = Metrics(endpoints: s.endpoints)
    let sim = Simulation(s, metrics: metrics)
    let real = s.capacity
    for i in 0..<2 { sim.registrars[i].capacity = 1e9 }
    sim.bootAll()
    sim.run(until: s.spread + 20)
    for i in 0..<2 { sim.registrars[i].capacity = real }
    sim.run(until: s.spread + 60)
    return (sim, metrics)
}

for scenario in scenarios {
    let started = clock()
    switch scenario {
    case "a":
        let metrics = Metrics(endpoints: settings.endpoints)
        let sim = Simulation(settings, metrics: metrics)
        sim.bootAll()
        let w = watch(sim, from: 0, until: horizon)
        report("a cold start", sim, metrics, from: 0, to: Int(horizon), (w.p99, w.p100, nil))
    case "b":
        let (sim, metrics) = warmFleet(settings)
        let t0 = sim.now
        sim.registrars[0].down = true
        var minReady = 1.0
        if sim.settings.keepAlive == nil { sim.flowsFailed(site: 0) }
        for k in 1...600 { sim.run(until: t0 + Double(k) / 10); minReady = min(minReady, Double(sim.ready) / Double(settings.endpoints)) }
        sim.registrars[0].down = false
        var w = watch(sim, from: t0 + 60, until: t0 + 60 + horizon)
        w.minReady = min(w.minReady ?? 1, minReady)
        report("b preferred site lost 60 s, back", sim, metrics, from: Int(t0 + 60), to: Int(t0 + 60 + horizon), w)
    case "c":
        let (sim, metrics) = warmFleet(settings)
        let t0 = sim.now
        sim.registrars[0].down = true
        if sim.settings.keepAlive == nil { sim.flowsFailed(site: 0) }
        sim.run(until: t0 + 10)
        sim.registrars[0].down = false
        sim.registrars[0].epoch += 1
        for i in 0..<settings.endpoints { sim.registrars[0].bindings[i] = false }
        let w = watch(sim, from: t0 + 10, until: t0 + horizon)
        report("c registrar restart, empty table", sim, metrics, from: Int(t0 + 10), to: Int(t0 + 10 + horizon), w)
    case "d":
        var half = settings
        half.capacity = settings.capacity / 2
        let metrics = Metrics(endpoints: settings.endpoints)
        let sim = Simulation(half, metrics: metrics)
        sim.bootAll()
        let w1 = watch(sim, from: 0, until: min(300, horizon))
        report("d cold start at half capacity (5 min)", sim, metrics, from: 0, to: Int(min(300, horizon)), (w1.p99, w1.p100, nil))
    default:
        break
    }
    print("  (simulated in \(Int(Double(clock() - started) / Double(CLOCKS_PER_SEC))) s of CPU)")
}
