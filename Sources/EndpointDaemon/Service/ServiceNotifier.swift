import CSIPSystemd
import Dispatch
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// systemd's notify protocol (Type=notify): READY=1 once the config is
/// loaded and the sockets are bound, STATUS= with a one-line registration
/// summary, STOPPING=1 at shutdown, and WATCHDOG=1 — sent only when the SIP
/// queue actually answers, so a wedged daemon is restarted by systemd.
/// Without $NOTIFY_SOCKET every call is a no-op.
final class ServiceNotifier: @unchecked Sendable {
    private let watchdogQueue = DispatchQueue(label: "sipendpointd.watchdog")
    private var watchdogTimer: DispatchSourceTimer?
    private var lastStatus = ""

    func notify(_ state: String) {
        _ = sd_notify(0, state)
    }

    func ready(status: String) {
        lastStatus = status
        notify("READY=1\nSTATUS=\(status)")
    }

    /// Sends STATUS= when the summary changed.
    func status(_ text: String) {
        guard text != lastStatus else { return }
        lastStatus = text
        notify("STATUS=\(text)")
    }

    func stopping() { notify("STOPPING=1") }

    /// Starts WATCHDOG=1 pings at half the interval systemd asked for, each
    /// only after every queue in `responsive` has run a no-op within that time.
    func startWatchdog(responsive queues: [DispatchQueue]) {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return }
        let period = DispatchTimeInterval.microseconds(Int(usec / 2))
        let timer = DispatchSource.makeTimerSource(queue: watchdogQueue)
        timer.schedule(deadline: .now() + period, repeating: period)
        timer.setEventHandler { [weak self] in
            let group = DispatchGroup()
            for q in queues {
                group.enter()
                q.async { group.leave() }
            }
            // A queue stuck for half the watchdog interval means no ping: systemd will act.
            if group.wait(timeout: .now() + period) == .success { self?.notify("WATCHDOG=1") }
        }
        watchdogTimer = timer
        timer.resume()
    }
}
