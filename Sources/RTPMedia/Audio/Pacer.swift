#if canImport(Glibc)
import Glibc
#endif

/// Holds the audio loop to real time when the capture device does not: a
/// sound card delivers a period per period, but a device that returns at
/// once (a file or FIFO PCM at end of input, a broken driver) would let
/// the thread spin, send a flood of packets and burn a core. Reading ahead
/// of the wall clock by up to `slack` periods is normal (a buffer filled
/// before the loop began); beyond that the thread sleeps. Falling behind
/// (a stall) is forgiven, not made up for at full speed.
struct Pacer {
    let periodNanos: Int64
    var slack: Int64 = 4
    private var origin: Int64 = 0
    private var periods: Int64 = 0

    init(periodNanos: Int64) { self.periodNanos = periodNanos }

    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// Called after each captured period; sleeps when too far ahead.
    mutating func periodDone(now: Int64 = Pacer.now(), sleep: (Int64) -> Void = Pacer.sleep(until:)) {
        if periods == 0 { origin = now }
        periods += 1
        let due = origin + periods * periodNanos
        if now > due + slack * periodNanos {
            // Behind (the device or the thread stalled): start counting afresh.
            origin = now - periods * periodNanos
        } else if now < due - slack * periodNanos {
            sleep(due - slack * periodNanos)
        }
    }

    static func sleep(until deadline: Int64) {
        var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR {}
    }
}
