// The real check beside FleetSim: one process holding many endpoints built
// on SIPCore's real stack — transport, transactions, RegistrationClient
// with its keep-alives and storm control — registering to a real registrar
// (kamailio on loopback, scripts/fleet-real.sh). It prints, every second,
// how many endpoints are registered and how many REGISTERs went out, and a
// line when all are registered (again), so the script can restart the
// registrar and time the fleet's return.
//
// FleetLoad HOST PORT udp|tcp ENDPOINTS PASSWORD SECONDS [spread-seconds] [keepalive-seconds]
import Dispatch
import FleetModel
import Logging
import SIPCore
#if canImport(Glibc)
import Glibc
#endif

/// Figures, touched on the stack's queue only.
final class Tally: @unchecked Sendable {
    var registered = 0
    var attempts = 0
    var lost = 0
    var allSince: Double?
    var lostAt: Double?
    var peakAttemptsPerSecond = 0
    var attemptsThisSecond = 0
}

enum Monotonic {
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// Everything runs from here, off the main actor: the stack's queue owns the state.
nonisolated func runFleet() {
    let args = CommandLine.arguments
    guard args.count >= 7, let port = UInt16(args[2]), let count = Int(args[4]), let seconds = Double(args[6]) else {
        print("usage: FleetLoad HOST PORT udp|tcp ENDPOINTS PASSWORD SECONDS [spread] [keepalive]")
        exit(2)
    }
    let host = args[1], kind: SIPTransportKind = args[3] == "tcp" ? .tcp : .udp, password = args[5]
    let spread = args.count > 7 ? Double(args[7]) ?? 10 : 10
    let keepAlive = args.count > 8 ? Double(args[8]) ?? 30 : 30

    var logger = Logger(label: "fleetload")
    logger.logLevel = .error
    let stack = SIPStack(transport: TransportConfiguration(localAddress: "127.0.0.1", localPort: 0, families: [.ipv4], kinds: [.udp, .tcp]),
                         timers: TransactionTimers(), capabilities: UASCapabilities(), logger: logger)
    let resolver = SIPTargetResolver(dns: DNSResolver(servers: []), families: [.ipv4])

    let tally = Tally()
    let start = Monotonic.now()
    nonisolated(unsafe) var clients: [RegistrationClient] = []



    stack.queue.sync {
        do { try stack.start() } catch {
            print("FleetLoad: cannot start the stack: \(error)")
            exit(1)
        }
        for i in 0..<count {
            var c = RegistrationConfiguration(aor: SIPURI(user: "\(20_000 + i)", host: host), registrarURI: SIPURI(host: host), password: password,
                                              expires: 600, instanceID: "00000000-0000-4000-8000-\(String(200_000_000_000 + i).suffix(12))")
            c.spread = .milliseconds(Int64(spread * 1000))
            c.regID = 1
            let client = RegistrationClient(configuration: c, spec: SIPTargetSpec(host: host, port: port, kind: kind), resolver: resolver,
                                            transactions: stack.transactions, random: .system,
                                            keepAlive: KeepAliveSettings(interval: .milliseconds(Int64(keepAlive * 1000))),
                                        // As in a Business Continuity fleet: a peer site carries the agent while this one returns.
                                        otherSiteExists: true, logger: logger)
            var wasRegistered = false
            client.onStatus = { status in
                let now = Monotonic.now() - start
                if status.state == .registering { tally.attempts += 1; tally.attemptsThisSecond += 1 }
                let isRegistered = status.state == .registered
                guard isRegistered != wasRegistered else { return }
                wasRegistered = isRegistered
                tally.registered += isRegistered ? 1 : -1
                if !isRegistered {
                    tally.lost += 1
                    if tally.lostAt == nil { tally.lostAt = now }
                }
                if tally.registered == count {
                    if let lostAt = tally.lostAt {
                        print("FleetLoad: all \(count) registered again \(tenths(now - lostAt)) s after the first loss (\(tally.lost) lost)")
                        tally.lostAt = nil
                    } else {
                        print("FleetLoad: all \(count) registered \(tenths(now)) s after start")
                    }
                    fflush(nil)
                }
            }
            clients.append(client)
            client.start(spread: true)
        }
    }

    let ticker = DispatchSource.makeTimerSource(queue: stack.queue)
    ticker.schedule(deadline: .now() + 1, repeating: 1)
    ticker.setEventHandler {
        tally.peakAttemptsPerSecond = max(tally.peakAttemptsPerSecond, tally.attemptsThisSecond)
        print("t=\(Int(Monotonic.now() - start)) registered \(tally.registered) attempts/s \(tally.attemptsThisSecond)")
        fflush(nil)
        tally.attemptsThisSecond = 0
    }
    ticker.resume()
    DispatchQueue.main.asyncAfter(deadline: .now() + seconds) {
        stack.queue.sync {
            print("FleetLoad: \(kind) \(count) endpoints: \(tally.attempts) registration attempts in all, peak \(tally.peakAttemptsPerSecond)/s, \(tally.registered) registered at the end")
        }
        exit(0)
    }
    // The stack, the clients and the ticker live as long as the process.
    withExtendedLifetime((stack, clients, ticker)) { dispatchMain() }
}

runFleet()
