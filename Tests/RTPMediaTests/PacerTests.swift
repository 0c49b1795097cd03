import Testing
@testable import RTPMedia

/// The audio loop's real-time guard, on a virtual clock.
@Suite struct PacerTests {
    static let period: Int64 = 20_000_000

    /// Runs `count` periods whose capture takes `captureNanos(k)` each;
    /// returns the virtual time at the end and how often the pacer slept.
    static func run(_ count: Int, captureNanos: (Int) -> Int64) -> (elapsed: Int64, sleeps: Int) {
        var pacer = Pacer(periodNanos: period)
        var now: Int64 = 1_000_000_000
        let start = now
        var sleeps = 0
        for k in 0..<count {
            now += captureNanos(k)
            pacer.periodDone(now: now) { until in
                sleeps += 1
                now = max(now, until)
            }
        }
        return (now - start, sleeps)
    }

    /// A sound card: one period per period, never held back.
    @Test func aRealTimeDeviceIsNeverHeldBack() {
        let r = Self.run(500) { _ in Self.period }
        #expect(r.sleeps == 0)
        #expect(r.elapsed == 500 * Self.period)
    }

    /// A device that returns at once (a FIFO PCM at end of input): 500
    /// periods take 500 periods of wall time, less the allowed slack —
    /// not zero (the thread spun and flooded the network before).
    @Test func aDeviceThatReturnsAtOnceIsHeldToRealTime() {
        let r = Self.run(500) { _ in 0 }
        #expect(r.elapsed >= (500 - 5) * Self.period && r.elapsed <= 500 * Self.period, "\(r.elapsed / 1_000_000) ms")
        #expect(r.sleeps > 400)
    }

    /// A stall of a second is forgiven: what follows runs in real time, not
    /// at full speed to make up for it, and is not slowed either.
    @Test func aStallIsNotMadeUpFor() {
        let r = Self.run(200) { k in k == 50 ? 1_000_000_000 : Self.period }
        #expect(r.sleeps == 0)
        #expect(r.elapsed == 199 * Self.period + 1_000_000_000)
    }

    /// A buffer that was full when the loop began is read at once, up to the slack.
    @Test func aFullBufferAtStartIsReadAtOnce() {
        let r = Self.run(4) { _ in 0 }
        #expect(r.sleeps == 0)
    }
}
