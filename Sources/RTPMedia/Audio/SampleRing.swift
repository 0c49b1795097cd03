import Synchronization

/// A single-producer single-consumer ring of 16-bit samples: the audio
/// thread and the network side exchange audio through it without locks
/// (acquire/release on two indices) and without allocating.
///
/// `@unchecked Sendable` boundary: one producer thread and one consumer
/// thread; the indices are atomics and each slot is touched by one side at a time.
public final class SampleRing: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<Int16>
    private let head = Atomic<Int>(0) // next write (producer)
    private let tail = Atomic<Int>(0) // next read (consumer)

    public init(capacity: Int) {
        storage = .allocate(capacity: capacity + 1)
        storage.initialize(repeating: 0)
    }

    deinit { storage.deallocate() }

    public var count: Int {
        let h = head.load(ordering: .acquiring), t = tail.load(ordering: .acquiring)
        return h >= t ? h - t : storage.count - t + h
    }

    /// Writes what fits; returns the samples written (the rest is dropped: an overrun).
    @discardableResult
    public func write(_ samples: UnsafeBufferPointer<Int16>) -> Int {
        let t = tail.load(ordering: .acquiring)
        var h = head.load(ordering: .relaxed)
        let free = (t - h - 1 + storage.count) % storage.count
        let n = min(free, samples.count)
        for i in 0..<n {
            storage[h] = samples[i]
            h += 1
            if h == storage.count { h = 0 }
        }
        head.store(h, ordering: .releasing)
        return n
    }

    /// Reads up to `out.count` samples; returns how many were there.
    @discardableResult
    public func read(into out: UnsafeMutableBufferPointer<Int16>) -> Int {
        let h = head.load(ordering: .acquiring)
        var t = tail.load(ordering: .relaxed)
        let available = h >= t ? h - t : storage.count - t + h
        let n = min(available, out.count)
        for i in 0..<n {
            out[i] = storage[t]
            t += 1
            if t == storage.count { t = 0 }
        }
        tail.store(t, ordering: .releasing)
        return n
    }

    /// Drops everything buffered (consumer side).
    public func clear() { tail.store(head.load(ordering: .acquiring), ordering: .releasing) }
}

/// A single-producer single-consumer ring of whole packets (payload bytes
/// plus RTP timestamp and arrival time), from the network receive side to
/// the media thread. Fixed slots, allocated once.
///
/// `@unchecked Sendable` boundary: as ``SampleRing``, one producer and one consumer.
public final class PacketRing: @unchecked Sendable {
    public let slotSize: Int
    private let slots: Int
    private let bytes: UnsafeMutableRawBufferPointer
    private let meta: UnsafeMutableBufferPointer<(length: Int, timestamp: UInt32, payloadType: UInt8, arrival: Int64)>
    private let head = Atomic<Int>(0)
    private let tail = Atomic<Int>(0)
    /// Packets dropped because the media thread fell behind.
    public let overruns = Atomic<Int>(0)

    public init(slots: Int = 64, slotSize: Int = 1500) {
        self.slots = slots + 1
        self.slotSize = slotSize
        bytes = .allocate(byteCount: self.slots * slotSize, alignment: 16)
        bytes.initializeMemory(as: UInt8.self, repeating: 0)
        meta = .allocate(capacity: self.slots)
        meta.initialize(repeating: (0, 0, 0, 0))
    }

    deinit {
        bytes.deallocate()
        meta.deallocate()
    }

    /// Producer: copies a payload in; false (and counted) when full or too large.
    @discardableResult
    public func push(_ payload: UnsafeRawBufferPointer, timestamp: UInt32, payloadType: UInt8, arrival: Int64) -> Bool {
        let h = head.load(ordering: .relaxed), t = tail.load(ordering: .acquiring)
        let next = (h + 1) % slots
        guard next != t, payload.count <= slotSize else {
            overruns.add(1, ordering: .relaxed)
            return false
        }
        UnsafeMutableRawBufferPointer(rebasing: bytes[(h * slotSize)..<(h * slotSize + payload.count)]).copyMemory(from: payload)
        meta[h] = (payload.count, timestamp, payloadType, arrival)
        head.store(next, ordering: .releasing)
        return true
    }

    /// Consumer: hands each queued packet to `body`, oldest first.
    public func drain(_ body: (UnsafeRawBufferPointer, UInt32, UInt8, Int64) -> Void) {
        let h = head.load(ordering: .acquiring)
        var t = tail.load(ordering: .relaxed)
        while t != h {
            let m = meta[t]
            body(UnsafeRawBufferPointer(rebasing: bytes[(t * slotSize)..<(t * slotSize + m.length)]), m.timestamp, m.payloadType, m.arrival)
            t = (t + 1) % slots
        }
        tail.store(t, ordering: .releasing)
    }
}
