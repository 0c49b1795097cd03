// The fleet on a virtual clock: every endpoint runs the project's own
// RegistrationMachine for each site, its KeepAliveMonitor and its
// SiteSelector (Business Continuity), exactly as RegistrationClient and
// ContinuityController drive them — here driven by events from a heap
// instead of sockets and Dispatch timers. The UDP client transaction is
// modelled as RFC 3261 has it: retransmissions at T1, 2·T1, … until the
// REGISTER's timer F.
import SIPCore

// (FleetModel: shared by Benchmarks/FleetSim and Tests/FleetTests.)

/// Names that tie a simulated endpoint to its configuration.
enum Endpoint {
    static func instance(_ i: Int) -> String { "00000000-0000-4000-8000-\(String(100_000_000_000 + i).suffix(12))" }
}

public struct SimSettings {
    public var endpoints = 50_000
    public var capacity = 6000.0
    public var queueLimit = 2.0
    public var rejectCapacity = 18_000.0
    public var retryAfter = 10
    public var transactionTimeout = 4.0
    /// UDP binding-probe interval (nil: keep-alives cost the registrar nothing, as TCP CRLF pings).
    public var keepAlive: Double? = 1.5
    public var spread = 10.0
    public var unreachableRetry = 1.5
    public var retryBase = 30.0
    public var expires: UInt32 = 1800
    public var hysteresis = 5.0
    public init() {}
}

public final class Simulation {
    enum Kind {
        case timer(Int, Int, RegistrationMachine.Timer, Int)
        case arrival(Int, Int, Int, SIPMessage, Bool)
        case response(Int, Int, Int, SIPMessage)
        case unreachable(Int, Int, Int)
        case retransmit(Int, Int, Int, Double)
        case timeout(Int, Int, Int)
        case keepAlive(Int, Int, Int)
        case selector(Int, Int)
        case action(() -> Void)
    }

    struct Channel {
        var machine: RegistrationMachine
        var timerGeneration = [0, 0]
        var tx = 0
        var txRequest: SIPMessage?
        var txAccepted = false
        var txIsProbe = false
        var monitor: KeepAliveMonitor?
        var keepAliveGeneration = 0
        var registered = false
    }

    public let settings: SimSettings
    public private(set) var now = 0.0
    public var registrars: [RegistrarModel]
    var channels: [[Channel]]
    var selectors: [SiteSelector]
    var selectorGeneration: [Int]
    private var heap = EventHeap<Kind>()
    private var nextTx = 1
    let contact = SIPURI(user: "fleet", host: "198.51.100.1")
    let metrics: Metrics
    public private(set) var registered = [0, 0]
    public private(set) var ready = 0

    public init(_ s: SimSettings, metrics: Metrics) {
        settings = s
        self.metrics = metrics
        registrars = (0..<2).map { _ in RegistrarModel(endpoints: s.endpoints, capacity: s.capacity, queueLimit: s.queueLimit,
                                                        rejectCapacity: s.rejectCapacity, retryAfter: s.retryAfter) }
        channels = []
        channels.reserveCapacity(s.endpoints)
        selectors = []
        selectorGeneration = [Int](repeating: 0, count: s.endpoints)
        for i in 0..<s.endpoints {
            channels.append((0..<2).map { site in
                var c = RegistrationConfiguration(aor: SIPURI(user: "a\(i)", host: "fleet.example"), registrarURI: SIPURI(host: site == 0 ? "a.fleet.example" : "b.fleet.example"),
                                                  password: "pw", expires: s.expires, retryBase: .milliseconds(Int64(s.retryBase * 1000)),
                                                  unreachableRetry: .milliseconds(Int64(s.unreachableRetry * 1000)), instanceID: Endpoint.instance(i))
                c.spread = .milliseconds(Int64(s.spread * 1000))
                c.callID = "c\(i)-\(site)"
                return Channel(machine: RegistrationMachine(configuration: c, random: .seeded(UInt64(i * 2 + site + 1) &* 0x9E37_79B9)))
            })
            selectors.append(SiteSelector(minimumStable: s.hysteresis, startupGrace: 3))
        }
    }

    func at(_ t: Double, _ k: Kind) { heap.push(t, k) }

    /// The flows to `site` break (TCP: the registrar's connections reset or
    /// its pings go unanswered): every registered channel re-registers, as
    /// RegistrationClient does on a closed connection.
    /// Every endpoint has a peer site, so it re-registers within the spread
    /// window (RegistrationClient.flowLost).
    public func flowsFailed(site: Int) {
        for i in 0..<settings.endpoints { apply(channels[i][site].machine.handle(.flowLost("connection closed")), i, site) }
    }

    /// Boots every endpoint now (spread as the daemon does at boot).
    public func bootAll() {
        for i in 0..<settings.endpoints {
            run(selectorActions: selectors[i].handle(.starting(at: now)), i)
            for site in 0..<2 { apply(channels[i][site].machine.handle(.startSpread(contact: contact)), i, site) }
        }
    }

    public func run(until end: Double) {
        while let (t, k) = heap.peek(), t <= end {
            _ = heap.pop()
            now = t
            handle(k)
        }
        now = end
    }

    private func handle(_ k: Kind) {
        switch k {
        case .timer(let i, let site, let timer, let generation):
            guard channels[i][site].timerGeneration[timer == .refresh ? 0 : 1] == generation else { return }
            apply(channels[i][site].machine.handle(.timerFired(timer)), i, site)
        case .arrival(let i, let site, let tx, let request, let retransmission):
            metrics.offered(site, now, retransmission: retransmission)
            let accepted = retransmission && channels[i][site].tx == tx && channels[i][site].txAccepted
            switch registrars[site].arrive(request, from: i, now: now, accepted: accepted) {
            case .unreachable: at(now + 0.001, .unreachable(i, site, tx))
            case .dropped: metrics.dropped(site, now)
            case .absorbed: break
            case .answer(let t, let r):
                if r.statusCode == 503 { metrics.rejected(site, now) } else if channels[i][site].tx == tx { channels[i][site].txAccepted = true }
                at(t, .response(i, site, tx, r))
            }
        case .response(let i, let site, let tx, let r):
            guard channels[i][site].tx == tx, channels[i][site].txRequest != nil else { return }
            channels[i][site].txRequest = nil
            if var m = channels[i][site].monitor { _ = m.handle(.answered); channels[i][site].monitor = m }
            apply(channels[i][site].machine.handle(.response(r)), i, site)
        case .unreachable(let i, let site, let tx):
            guard channels[i][site].tx == tx, channels[i][site].txRequest != nil else { return }
            channels[i][site].txRequest = nil
            if channels[i][site].txIsProbe {
                apply(channels[i][site].machine.handle(.flowFailed("ICMP port unreachable")), i, site)
            } else {
                apply(channels[i][site].machine.handle(.unreachable("ICMP port unreachable")), i, site)
            }
        case .retransmit(let i, let site, let tx, let interval):
            guard channels[i][site].tx == tx, let request = channels[i][site].txRequest else { return }
            metrics.retransmission(site, now)
            at(now, .arrival(i, site, tx, request, true))
            at(now + min(interval * 2, 4), .retransmit(i, site, tx, min(interval * 2, 4)))
        case .timeout(let i, let site, let tx):
            guard channels[i][site].tx == tx, channels[i][site].txRequest != nil else { return }
            channels[i][site].txRequest = nil
            // A probe's silence is a keep-alive miss, counted by the monitor's next tick.
            if !channels[i][site].txIsProbe { apply(channels[i][site].machine.handle(.failure("no response (timeout)")), i, site) }
        case .keepAlive(let i, let site, let generation):
            guard channels[i][site].keepAliveGeneration == generation, var m = channels[i][site].monitor, let interval = settings.keepAlive else { return }
            let actions = m.handle(.tick)
            channels[i][site].monitor = m
            at(now + interval, .keepAlive(i, site, generation))
            for a in actions {
                switch a {
                case .probe: apply(channels[i][site].machine.handle(.probe), i, site, probe: true)
                case .failed(let why): apply(channels[i][site].machine.handle(.flowLost(why)), i, site)
                }
            }
        case .selector(let i, let generation):
            guard selectorGeneration[i] == generation else { return }
            run(selectorActions: selectors[i].handle(.timerFired(at: now)), i)
        case .action(let f):
            f()
        }
    }

    private func apply(_ actions: [RegistrationMachine.Action], _ i: Int, _ site: Int, probe: Bool = false) {
        for a in actions {
            switch a {
            case .send(let request):
                let tx = nextTx
                nextTx += 1
                channels[i][site].tx = tx
                channels[i][site].txRequest = request
                channels[i][site].txAccepted = false
                channels[i][site].txIsProbe = probe
                at(now, .arrival(i, site, tx, request, false))
                // UDP retransmits at T1, 2·T1, …; a stream (TCP/TLS, the keep-alive-free mode) does not.
                if settings.keepAlive != nil { at(now + 0.5, .retransmit(i, site, tx, 0.5)) }
                at(now + settings.transactionTimeout, .timeout(i, site, tx))
            case .schedule(let timer, let d):
                let slot = timer == .refresh ? 0 : 1
                channels[i][site].timerGeneration[slot] += 1
                at(now + d.seconds, .timer(i, site, timer, channels[i][site].timerGeneration[slot]))
            case .cancel(let timer):
                channels[i][site].timerGeneration[timer == .refresh ? 0 : 1] += 1
            case .status(let status):
                let isUp = status.state == .registered
                if isUp != channels[i][site].registered {
                    channels[i][site].registered = isUp
                    registered[site] += isUp ? 1 : -1
                    // Keep-alives run while registered (UDP binding probes; TCP pings cost nothing and are not modelled).
                    channels[i][site].keepAliveGeneration += 1
                    channels[i][site].monitor = nil
                    if isUp, let interval = settings.keepAlive {
                        channels[i][site].monitor = KeepAliveMonitor(threshold: 2)
                        // Keep-alive ticks start at a random phase, as each box's do.
                        at(now + interval * Double((i * 7919 + site * 104_729) % 1000) / 1000, .keepAlive(i, site, channels[i][site].keepAliveGeneration))
                    }
                    run(selectorActions: selectors[i].handle(.registration(site == 0 ? .preferred : .peer, registered: isUp, at: now)), i)
                }
            case .stopped, .alive:
                break
            }
        }
    }

    private func run(selectorActions: [SiteSelector.Action], _ i: Int) {
        for a in selectorActions {
            switch a {
            case .cancelTimer: selectorGeneration[i] += 1
            case .schedule(let after):
                selectorGeneration[i] += 1
                at(now + after + 0.001, .selector(i, selectorGeneration[i]))
            case .activeSiteChanged(let site, _):
                let wasReady = metrics.readyFlags[i]
                metrics.readyFlags[i] = site != nil
                if wasReady != (site != nil) { ready += site != nil ? 1 : -1 }
            }
        }
    }
}

/// A binary min-heap of timed events (ties in insertion order).
struct EventHeap<T> {
    private var items: [(Double, Int, T)] = []
    private var sequence = 0

    mutating func push(_ t: Double, _ v: T) {
        sequence += 1
        items.append((t, sequence, v))
        var c = items.count - 1
        while c > 0 {
            let p = (c - 1) / 2
            guard less(c, p) else { break }
            items.swapAt(c, p)
            c = p
        }
    }

    func peek() -> (Double, T)? { items.first.map { ($0.0, $0.2) } }

    mutating func pop() -> (Double, T)? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var p = 0
        while true {
            let l = 2 * p + 1, r = l + 1
            var m = p
            if l < items.count && less(l, m) { m = l }
            if r < items.count && less(r, m) { m = r }
            if m == p { break }
            items.swapAt(p, m)
            p = m
        }
        return (top.0, top.2)
    }

    private func less(_ a: Int, _ b: Int) -> Bool { items[a].0 < items[b].0 || (items[a].0 == items[b].0 && items[a].1 < items[b].1) }
}
