#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// What the audio thread calls once per codec frame (20 ms) with the
/// captured frame and the frame to fill for playback (same length, the
/// device rate), however long the devices' periods are.
public protocol AudioPeriodHandler: AnyObject, Sendable {
    func audioPeriod(captured: UnsafeBufferPointer<Int16>, playback: UnsafeMutableBufferPointer<Int16>)
    /// The devices over- or underran `count` times during the last period
    /// (recovered): the call hears a gap it should be charged with.
    func audioXruns(_ count: Int)
}

extension AudioPeriodHandler {
    public func audioXruns(_ count: Int) {}
}

/// The dedicated audio thread: a pthread of its own (never Dispatch or the
/// Swift concurrency pool), SCHED_FIFO when the process may, else a normal
/// thread. The capture device paces it: read one period; once a frame's
/// worth is in, hand it and a playback frame to the handler; write the
/// next period of the playback frame (with 10 ms periods a 20 ms frame
/// is played in two halves, the first right after it was decoded).
/// Buffers are allocated once, before the loop.
public final class AudioThread: @unchecked Sendable {
    public let capture: ALSADevice
    public let playback: ALSADevice
    public let periodFrames: Int
    /// Samples per handler call (the codec frame); a multiple of `periodFrames`.
    public let frameFrames: Int
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

    public init(capture: ALSADevice, playback: ALSADevice, periodFrames: Int, frameFrames: Int? = nil, handler: AudioPeriodHandler) {
        self.capture = capture
        self.playback = playback
        self.periodFrames = periodFrames
        let frame = frameFrames ?? periodFrames
        self.frameFrames = frame % periodFrames == 0 ? frame : periodFrames
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
        let captured = UnsafeMutableBufferPointer<Int16>.allocate(capacity: frameFrames)
        let out = UnsafeMutableBufferPointer<Int16>.allocate(capacity: frameFrames)
        defer { captured.deallocate(); out.deallocate() }
        captured.initialize(repeating: 0)
        out.initialize(repeating: 0)
        var xrunsSeen = 0
        var filled = 0, played = frameFrames // nothing decoded yet: silence until the first frame
        var pace = Pacer(periodNanos: Int64(periodFrames) * 1_000_000_000 / Int64(capture.sampleRate))
        while running.load(ordering: .acquiring) {
            if !capture.read(UnsafeMutableBufferPointer(rebasing: captured[filled..<(filled + periodFrames)])) {
                deviceFailed.store(true, ordering: .releasing)
                break
            }
            pace.periodDone()
            filled += periodFrames
            if filled == frameFrames {
                out.update(repeating: 0)
                handler.audioPeriod(captured: UnsafeBufferPointer(captured), playback: out)
                filled = 0
                played = 0
            }
            let next: UnsafeBufferPointer<Int16>
            if played < frameFrames {
                next = UnsafeBufferPointer(rebasing: out[played..<(played + periodFrames)])
                played += periodFrames
            } else {
                // Before the first frame: a period of silence (the tail of `out` is zero then).
                next = UnsafeBufferPointer(rebasing: out[(frameFrames - periodFrames)..<frameFrames])
            }
            if !playback.write(next) {
                deviceFailed.store(true, ordering: .releasing)
                break
            }
            periods.add(1, ordering: .relaxed)
            let xruns = capture.xruns.load(ordering: .relaxed) + playback.xruns.load(ordering: .relaxed)
            if xruns != xrunsSeen {
                handler.audioXruns(xruns - xrunsSeen)
                xrunsSeen = xruns
            }
        }
        finished.store(true, ordering: .releasing)
    }
}
