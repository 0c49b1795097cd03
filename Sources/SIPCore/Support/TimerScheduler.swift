import Dispatch

/// Named one-shot timers on a queue, for the drivers of pure state
/// machines: `schedule` replaces a pending timer of the same key, `cancel`
/// drops it, and a fired timer is forgotten before its handler runs.
///
/// `@unchecked Sendable` boundary: used only on `queue`.
public final class TimerScheduler<Key: Hashable & Sendable>: @unchecked Sendable {
    public let queue: DispatchQueue
    private var items: [Key: DispatchWorkItem] = [:]

    public init(queue: DispatchQueue) { self.queue = queue }

    public func schedule(_ key: Key, after: Duration, _ fire: @escaping () -> Void) {
        items[key]?.cancel()
        let item = DispatchWorkItem { [weak self] in
            guard let self, self.items[key] != nil else { return }
            self.items[key] = nil
            fire()
        }
        items[key] = item
        queue.asyncAfter(deadline: .now() + after.dispatch, execute: item)
    }

    public func cancel(_ key: Key) {
        items.removeValue(forKey: key)?.cancel()
    }

    public func cancelAll(where match: (Key) -> Bool) {
        for k in items.keys where match(k) { cancel(k) }
    }
}
