import Dispatch

/// Where a ``TimerScheduler`` gets its time: Dispatch's clock in the
/// daemon, a clock the test advances by hand in driver tests.
public protocol TimerClock: Sendable {
    /// Runs `work` on `queue` after `delay`, unless it is cancelled first.
    func schedule(after delay: Duration, on queue: DispatchQueue, _ work: DispatchWorkItem)
}

/// The real clock: `DispatchQueue.asyncAfter`.
public struct DispatchTimerClock: TimerClock {
    public init() {}
    public func schedule(after delay: Duration, on queue: DispatchQueue, _ work: DispatchWorkItem) {
        queue.asyncAfter(deadline: .now() + delay.dispatch, execute: work)
    }
}

/// Named one-shot timers on a queue: the one timer driver of the pure state
/// machines (transactions, registration, Business Continuity, calls).
/// `schedule` replaces a pending timer of the same key, `cancel` drops it,
/// and a fired timer is forgotten before its handler runs.
///
/// `@unchecked Sendable` boundary: used only on `queue`.
public final class TimerScheduler<Key: Hashable & Sendable>: @unchecked Sendable {
    public let queue: DispatchQueue
    private let clock: TimerClock
    private var items: [Key: (item: DispatchWorkItem, generation: UInt64)] = [:]
    private var generation: UInt64 = 0

    public init(queue: DispatchQueue, clock: TimerClock = DispatchTimerClock()) {
        self.queue = queue
        self.clock = clock
    }

    public func schedule(_ key: Key, after: Duration, _ fire: @escaping () -> Void) {
        items[key]?.item.cancel()
        generation &+= 1
        let mine = generation
        let item = DispatchWorkItem { [weak self] in
            // Only the timer still registered under its key fires (a replaced one may already be queued).
            guard let self, self.items[key]?.generation == mine else { return }
            self.items[key] = nil
            fire()
        }
        items[key] = (item, mine)
        clock.schedule(after: after, on: queue, item)
    }

    public func cancel(_ key: Key) {
        items.removeValue(forKey: key)?.item.cancel()
    }

    public func cancelAll(where match: (Key) -> Bool = { _ in true }) {
        for k in items.keys where match(k) { cancel(k) }
    }

    /// Whether a timer of `key` is pending.
    public func isScheduled(_ key: Key) -> Bool { items[key] != nil }

    public var count: Int { items.count }
}
