import Dispatch
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import SIPCore

/// A clock the test moves by hand: what is due runs on the queue, in order.
final class ManualTimerClock: TimerClock, @unchecked Sendable {
    /// `@unchecked Sendable`: work items are only run through their queue.
    struct Entry: @unchecked Sendable {
        var due: Duration
        var order: Int
        var work: DispatchWorkItem
        var queue: DispatchQueue
    }
    private let pending = Mutex<[Entry]>([])
    private let now = Mutex<Duration>(.zero)
    private let counter = Atomic<Int>(0)

    func schedule(after delay: Duration, on queue: DispatchQueue, _ work: DispatchWorkItem) {
        let due = now.withLock { $0 } + delay
        let order = counter.add(1, ordering: .relaxed).newValue
        let entry = Entry(due: due, order: order, work: work, queue: queue)
        pending.withLock { $0.append(entry) }
    }

    /// Moves time on by `step`, running each due, not cancelled work item on its queue.
    func advance(by step: Duration) {
        let target = now.withLock { $0 += step; return $0 }
        for _ in 0..<10_000 {
            let next = pending.withLock { p -> Entry? in
                guard let i = p.indices.filter({ p[$0].due <= target }).min(by: { (p[$0].due, p[$0].order) < (p[$1].due, p[$1].order) }) else { return nil }
                return p.remove(at: i)
            }
            guard let next else { return }
            if !next.work.isCancelled { next.queue.sync { next.work.perform() } }
        }
    }
}

/// The one timer driver of the stack, on a clock advanced by hand.
@Suite struct TimerSchedulerTests {
    @Test func replaceCancelAndFireInOrder() {
        let queue = DispatchQueue(label: "timer-test")
        let clock = ManualTimerClock()
        let timers = TimerScheduler<String>(queue: queue, clock: clock)
        let fired = Mutex<[String]>([])
        queue.sync {
            timers.schedule("a", after: .seconds(2)) { fired.withLock { $0.append("a") } }
            timers.schedule("b", after: .seconds(1)) { fired.withLock { $0.append("b") } }
            timers.schedule("c", after: .seconds(1)) { fired.withLock { $0.append("c-old") } }
            // Replaced: only the new one fires, later.
            timers.schedule("c", after: .seconds(3)) { fired.withLock { $0.append("c") } }
            timers.schedule("d", after: .seconds(1)) { fired.withLock { $0.append("d") } }
            timers.cancel("d")
            #expect(timers.count == 3 && timers.isScheduled("c") && !timers.isScheduled("d"))
        }
        clock.advance(by: .milliseconds(999))
        #expect(fired.withLock { $0 }.isEmpty)
        clock.advance(by: .milliseconds(1))
        #expect(fired.withLock { $0 } == ["b"])
        clock.advance(by: .seconds(5))
        #expect(fired.withLock { $0 } == ["b", "a", "c"])
        queue.sync { #expect(timers.count == 0) }
    }

    /// A client transaction's timers on the manual clock: Timer F fires after
    /// 64·T1 and the transaction reports its timeout, nothing earlier.
    @Test func transactionTimeoutOnTheManualClock() throws {
        let queue = DispatchQueue(label: "timer-test-tx")
        let clock = ManualTimerClock()
        let transport = SIPTransportLayer(configuration: TransportConfiguration(localAddress: "127.0.0.1", families: [.ipv4], kinds: [.udp]),
                                          queue: queue, logger: .init(label: "test"))
        try queue.sync { try transport.start() }
        // A peer that takes the request and never answers.
        let silent = try SocketOps.open(.ipv4, stream: false)
        defer { _ = close(silent) }
        try SocketOps.bind(silent, SocketAddress(ip: "127.0.0.1", port: 0)!, reuse: false)
        let peer = try #require(SocketOps.localAddress(silent))
        let layer = SIPTransactionLayer(transport: transport, timers: TransactionTimers(), clock: clock, logger: .init(label: "test"))
        let outcome = Mutex<String?>(nil)
        var h = SIPHeaders()
        h.append(.via, "SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-timer-1")
        h.append(.cseq, "1 OPTIONS")
        h.append(.callID, "t1")
        let request = SIPMessage.request(.options, uri: try SIPURI("sip:x@127.0.0.1:9"), headers: h)
        queue.sync {
            layer.sendRequest(request, to: TransportDestination(kind: .udp, address: peer)) { r in
                if case .timeout = r { outcome.withLock { $0 = "timeout" } }
            }
        }
        clock.advance(by: .seconds(31))
        #expect(outcome.withLock { $0 } == nil)
        clock.advance(by: .seconds(1))
        #expect(outcome.withLock { $0 } == "timeout")
        queue.sync { transport.shutdown() }
    }
}

@Suite struct DelayHistogramTests {
    @Test func bucketsAreCumulativeWithSumAndCount() {
        var h = DelayHistogram(bounds: [0.5, 2])
        for s in [0.1, 0.5, 1.0, 3.0, -1] { h.observe(s) }
        #expect(h.cumulative.map(\.le) == ["0.5", "2", "+Inf"] && h.cumulative.map(\.count) == [3, 4, 5])
        #expect(h.count == 5 && abs(h.sum - 4.6) < 1e-9)
    }
}
