import CSIPShims
import Dispatch
import Logging
import NetSupport
import SIPCore
import Synchronization

/// Keeps the daemon's resident set to what it goes on using.
///
/// Start-up, a config load, the first control request, opening a call's
/// audio devices (ALSA parses its whole configuration) each run code once
/// and leave it mapped. Worse, the kernel's fault-around maps up to 64 KB of
/// cached neighbours around every page of code touched, and the code a
/// daemon runs is spread thinly over the binary's 11 MB of text (most of it
/// the statically linked Swift runtime and Foundation, whose code the linker
/// cannot reorder): an idle daemon kept ~10 MB of it resident, a call 19 MB
/// in all. So a few seconds after such a moment the clean, read-only file
/// mappings (code and constants of the binary and its libraries) are cut
/// into VMAs of `granulePages` pages, beyond which fault-around never
/// reaches, and unmapped (csip_release_clean_file_pages). They stay in the
/// page cache: what is used again comes back as a minor fault. Pages written
/// since load (relocations) and writable memory are never touched.
///
/// When: ``TrimSchedule``.
final class ResidentSetTrimmer: Sendable {
    private struct State {
        var schedule: TrimSchedule
        var generation = 0
    }
    private let queue = DispatchQueue(label: "sipendpointd.trim", qos: .utility)
    private let state: Mutex<State>
    private let clock = ContinuousClock()
    private let origin: ContinuousClock.Instant
    private let logger: Logger

    /// Mappings are cut into VMAs of this many pages, so the kernel's
    /// fault-around maps at most this much around a page in use (measured
    /// in a demo call: 1 page 7.7 MB in the call, 2 pages 8.7 MB, 4 pages
    /// 10.1 MB, none 14–19 MB; each VMA costs the kernel ~200 bytes, so 2
    /// pages is ~4,000 VMAs and ~0.9 MB of kernel memory for ~31 MB mapped).
    static let granulePages = 2

    init(schedule: TrimSchedule = TrimSchedule(), logger: Logger) {
        state = Mutex(State(schedule: schedule))
        origin = clock.now
        self.logger = logger
    }

    /// Asks for a trim `delay` from now (TrimSchedule decides when).
    /// `soon`: a rare moment (a call's audio opened or closed) that does not wait for the minimum interval.
    func schedule(after delay: Duration, soon: Bool = false) {
        let now = clock.now - origin
        let run: (Duration, Int)? = state.withLock { s in
            guard let at = s.schedule.request(now: now, delay: delay, soon: soon) else { return nil }
            s.generation += 1
            return (at - now, s.generation)
        }
        guard let (wait, generation) = run else { return }
        queue.asyncAfter(deadline: .now() + wait.dispatch) { [self] in
            // Only the latest plan runs (an earlier one was moved back); the
            // first after start is logged at notice: an admin comparing RSS
            // before and after start-up sees why it fell.
            let first: Bool? = state.withLock { s in s.generation == generation ? s.schedule.last == nil : nil }
            guard let first else { return }
            let began = clock.now
            let released = csip_release_clean_file_pages(Self.granulePages)
            let took = clock.now - began
            state.withLock { $0.schedule.done(now: clock.now - origin) }
            logger.log(level: first ? .notice : .debug, "unused code pages released",
                       metadata: ["address_space_kb": "\(max(0, released) / 1024)", "resident_kb": "\(Self.residentKB() ?? 0)",
                                  "took_ms": "\(Int(took.seconds * 1000))"])
        }
    }

    /// VmRSS of this process (kB), for the log line and /metrics.
    static func residentKB() -> Int? {
        let kb = csip_resident_kb()
        return kb >= 0 ? Int(kb) : nil
    }
}

/// When to trim, as a pure value over time since start (unit-tested with
/// made-up times). A request asks for a trim `delay` after it; the plan is
/// never sooner than `minimumInterval` after the last trim (a trim reads
/// /proc/self/smaps, ~20 ms with the mappings cut up: a desktop polling the
/// control port every second costs one per interval, under 0.1 % of a
/// core). A pending trim moves back to cover a later request, but not past
/// `maximumDeferral` after the first request it serves, so a steady stream
/// of requests still gets its trims.
struct TrimSchedule: Sendable {
    let minimumInterval: Duration
    let maximumDeferral: Duration
    private(set) var pending: (at: Duration, since: Duration)?
    private(set) var last: Duration?

    init(minimumInterval: Duration = .seconds(30), maximumDeferral: Duration = .seconds(10)) {
        self.minimumInterval = minimumInterval
        self.maximumDeferral = maximumDeferral
    }

    /// The new time of the pending trim, or nil when the plan stays as it is.
    /// `soon`: not held back by the minimum interval (a call's audio opening
    /// or closing: once per call, and what it ran is worth releasing at once).
    mutating func request(now: Duration, delay: Duration, soon: Bool = false) -> Duration? {
        let target = soon ? now + delay : max(now + delay, last.map { $0 + minimumInterval } ?? now)
        if soon, let p = pending, p.at > target {
            // Sooner than planned: the plan moves forward.
            pending = (target, p.since)
            return target
        }
        if let p = pending, target <= p.at || target > p.since + maximumDeferral { return nil }
        pending = (target, pending?.since ?? now)
        return target
    }

    /// The pending trim ran.
    mutating func done(now: Duration) {
        pending = nil
        last = now
    }
}
