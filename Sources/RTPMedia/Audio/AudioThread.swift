#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// What the audio thread calls once per period with the captured frame and
/// the frame to fill for playback (same length, the device rate).
public protocol AudioPeriodHandler: AnyObject, Sendable {
    func audioPeriod(captured: UnsafeBufferPointer<Int16>, playback: UnsafeMutableBufferPointer<Int16>)
}

/// The dedicated audio thread: a pthread of its own (never Dispatch or the
/// Swift concurrency pool), SCHED_FIFO when the process may, else a normal
/// thread. The capture device paces it: read one period, hand it and a
/// playback buffer to the handler, write the playback. Buffers are
/// allocated once, before the loop.
public final class AudioThread: @unchecked Sendable {
    public let capture: ALSADevice
    public let playback: ALSADevice
    public let periodFrames: Int
    private let handler: AudioPeriodHandler
    private let running = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)
    /// Whether SCHED_FIFO was granted.
    public let realtime = Atomic<Bool>(false)
    /// Periods run (tests and stats).
    public let periods = Atomic<Int>(0)
    /// Set when a device failed for good (unplugged): the engine reselects.
    public let deviceFailed = Atomic<Bool>(false)
    private var thread: pthread_t?

    public init(capture: ALSADevice, playback: ALSADevice, periodFrames: Int, handler: AudioPeriodHandler) {
        self.capture = capture
        self.playback = playback
        self.periodFrames = periodFrames
        self.handler = handler
    }

    public func start() throws(MediaError) {
        running.store(true, ordering: .releasing)
        let box = Unmanaged.passRetained(self)
        var t = pthread_t()
        let rc = pthread_create(&t, nil, { arg in
            let me = Unmanaged<AudioThread>.fromOpaque(arg!).takeRetainedValue()
            me.run()
            return nil
        }, box.toOpaque())
        guard rc == 0 else {
            box.release()
            running.store(false, ordering: .releasing)
            throw MediaError(.library, "audio thread could not start (\(rc))")
        }
        thread = t
    }

    /// Stops the loop and waits for the thread (at most one period plus a device timeout).
    public func stop() {
        running.store(false, ordering: .releasing)
        if let thread { pthread_join(thread, nil) }
        thread = nil
    }

    private func run() {
        var param = sched_param()
        param.sched_priority = 10
        if pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) == 0 { realtime.store(true, ordering: .relaxed) }
        let captured = UnsafeMutableBufferPointer<Int16>.allocate(capacity: periodFrames)
        let out = UnsafeMutableBufferPointer<Int16>.allocate(capacity: periodFrames)
        defer { captured.deallocate(); out.deallocate() }
        captured.initialize(repeating: 0)
        out.initialize(repeating: 0)
        while running.load(ordering: .acquiring) {
            if !capture.read(captured) {
                deviceFailed.store(true, ordering: .releasing)
                break
            }
            out.update(repeating: 0)
            handler.audioPeriod(captured: UnsafeBufferPointer(captured), playback: out)
            if !playback.write(UnsafeBufferPointer(out)) {
                deviceFailed.store(true, ordering: .releasing)
                break
            }
            periods.add(1, ordering: .relaxed)
        }
        finished.store(true, ordering: .releasing)
    }
}
