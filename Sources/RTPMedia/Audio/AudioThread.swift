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
/// is played in two halves, the first right after it was decoded). The
/// handler sees frames at its own rate (the codec's); a device running at
/// another rate is converted on this thread by a `Resampler` each way.
/// Buffers are allocated once, before the loop.
public final class AudioThread: @unchecked Sendable {
    public let capture: ALSADevice
    public let playback: ALSADevice
    /// The handler's rate (the codec's PCM rate).
    public let rate: Int
    /// Samples per handler call at `rate` (one codec frame).
    public let frameFrames: Int
    private let handler: AudioPeriodHandler
    private let running = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)
    /// Whether the thread runs SCHED_FIFO (set by `start`).
    public let realtime = Atomic<Bool>(false)
    /// Periods run (tests and stats).
    public let periods = Atomic<Int>(0)
    /// Set when a device failed for good (unplugged): the engine reselects.
    public let deviceFailed = Atomic<Bool>(false)
    private var thread: pthread_t?
    /// One frame's samples at each device's own rate.
    private let captureFrame: Int
    private let playbackFrame: Int
    private let fromCapture: Resampler?
    private let toPlayback: Resampler?

    /// `frameMs` must be a whole number of the devices' periods (both are
    /// opened with the same period length).
    public init(capture: ALSADevice, playback: ALSADevice, rate: Int, frameMs: Int = 20, handler: AudioPeriodHandler) throws(MediaError) {
        self.capture = capture
        self.playback = playback
        self.rate = rate
        frameFrames = rate * frameMs / 1000
        self.handler = handler
        captureFrame = capture.sampleRate * frameMs / 1000
        playbackFrame = playback.sampleRate * frameMs / 1000
        guard captureFrame % capture.periodFrames == 0, playbackFrame % playback.periodFrames == 0 else {
            throw MediaError(.noDevice, "audio periods (\(capture.periodFrames)/\(playback.periodFrames) samples) do not divide a \(frameMs) ms frame")
        }
        fromCapture = capture.sampleRate == rate ? nil : try Resampler(from: capture.sampleRate, to: rate)
        toPlayback = playback.sampleRate == rate ? nil : try Resampler(from: rate, to: playback.sampleRate)
    }

    /// Starts the thread: SCHED_FIFO (priority 10) when the process may
    /// (root, or RLIMIT_RTPRIO as the unit's LimitRTPRIO gives), else a
    /// normal thread; `realtime` tells which, as soon as this returns.
    public func start() throws(MediaError) {
        running.store(true, ordering: .releasing)
        let box = Unmanaged.passRetained(self)
        let body: @convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? = { arg in
            let me = Unmanaged<AudioThread>.fromOpaque(arg!).takeRetainedValue()
            me.run()
            return nil
        }
        var t = pthread_t()
        var rc = Self.withRealtimeAttributes { pthread_create(&t, $0, body, box.toOpaque()) }
        realtime.store(rc == 0, ordering: .relaxed)
        if rc == EPERM || rc == EINVAL {
            // Not allowed real-time scheduling here: a normal thread.
            rc = pthread_create(&t, nil, body, box.toOpaque())
        }
        guard rc == 0 else {
            box.release()
            running.store(false, ordering: .releasing)
            throw MediaError(.library, "audio thread could not start (\(rc))")
        }
        thread = t
    }

    /// Calls `body` with thread attributes asking for SCHED_FIFO at priority 10.
    private static func withRealtimeAttributes(_ body: (UnsafePointer<pthread_attr_t>) -> Int32) -> Int32 {
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        defer { pthread_attr_destroy(&attr) }
        var param = sched_param()
        param.sched_priority = 10
        pthread_attr_setinheritsched(&attr, Int32(PTHREAD_EXPLICIT_SCHED))
        pthread_attr_setschedpolicy(&attr, SCHED_FIFO)
        pthread_attr_setschedparam(&attr, &param)
        return body(&attr)
    }

    /// Whether this process may run the audio thread SCHED_FIFO: known
    /// before the devices open, because the period depends on it (10 ms
    /// periods only where the thread cannot be starved). Tried once, with a
    /// thread that does nothing.
    public static let realtimePermitted: Bool = {
        var t = pthread_t()
        let nothing: @convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? = { _ in nil }
        let rc = withRealtimeAttributes { pthread_create(&t, $0, nothing, nil) }
        if rc == 0 { pthread_join(t, nil) }
        return rc == 0
    }()

    /// Stops the loop and waits for the thread (at most one period plus a device timeout).
    public func stop() {
        running.store(false, ordering: .releasing)
        if let thread { pthread_join(thread, nil) }
        thread = nil
    }

    private func run() {
        let capPeriod = capture.periodFrames, playPeriod = playback.periodFrames
        let capFrame = captureFrame, playFrame = playbackFrame
        // Device-rate frames, and the handler's when the rates differ.
        let fromDevice = Self.buffer(capFrame), toDevice = Self.buffer(playFrame)
        let captured = fromCapture == nil ? fromDevice : Self.buffer(frameFrames)
        let out = toPlayback == nil ? toDevice : Self.buffer(frameFrames)
        defer {
            fromDevice.deallocate(); toDevice.deallocate()
            if fromCapture != nil { captured.deallocate() }
            if toPlayback != nil { out.deallocate() }
        }
        var xrunsSeen = 0
        var filled = 0, played = playFrame // nothing decoded yet: silence until the first frame
        var pace = Pacer(periodNanos: Int64(capPeriod) * 1_000_000_000 / Int64(capture.sampleRate))
        while running.load(ordering: .acquiring) {
            if !capture.read(UnsafeMutableBufferPointer(rebasing: fromDevice[filled..<(filled + capPeriod)])) {
                deviceFailed.store(true, ordering: .releasing)
                break
            }
            pace.periodDone()
            filled += capPeriod
            if filled == capFrame {
                fromCapture?.process(UnsafeBufferPointer(fromDevice), into: captured)
                out.update(repeating: 0)
                handler.audioPeriod(captured: UnsafeBufferPointer(captured), playback: out)
                toPlayback?.process(UnsafeBufferPointer(out), into: toDevice)
                filled = 0
                played = 0
            }
            let next: UnsafeBufferPointer<Int16>
            if played < playFrame {
                next = UnsafeBufferPointer(rebasing: toDevice[played..<(played + playPeriod)])
                played += playPeriod
            } else {
                // Before the first frame: a period of silence (the tail of `toDevice` is zero then).
                next = UnsafeBufferPointer(rebasing: toDevice[(playFrame - playPeriod)..<playFrame])
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

    private static func buffer(_ count: Int) -> UnsafeMutableBufferPointer<Int16> {
        let b = UnsafeMutableBufferPointer<Int16>.allocate(capacity: count)
        b.initialize(repeating: 0)
        return b
    }
}
