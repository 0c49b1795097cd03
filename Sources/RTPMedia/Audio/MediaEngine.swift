import Dispatch
import NetSupport
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The media engine: opens streams on the configured RTP port range, and
/// runs the audio thread for the one stream that has the headset (the
/// active call; held calls keep their streams but not the devices). The
/// devices are opened only while a stream needs them, and reopened — the
/// next configured device when one is gone — if the audio thread lost its
/// device (a USB headset unplugged).
///
/// `@unchecked Sendable` boundary: everything but the handler slot is used on `queue`.
public final class MediaEngine: AudioPeriodHandler, @unchecked Sendable {
    public let queue: DispatchQueue
    public let ports: ClosedRange<UInt16>
    public private(set) var devices: AudioDeviceSettings
    private let active = Mutex<MediaStream?>(nil)
    private var thread: AudioThread?
    private var threadRate = 0
    private var watchdog: DispatchSourceTimer?
    /// Names of the devices in use (status, read from any thread), and what went wrong last.
    /// The devices in use and how the audio runs through them, while they are open.
    public struct AudioPath: Sendable, Equatable {
        public var capture: String
        public var playback: String
        /// The devices' own rates (the codec's, or native ones converted by the audio thread).
        public var captureRate: Int
        public var playbackRate: Int
        public var periodMs: Int
        /// Whether the audio thread got SCHED_FIFO.
        public var realtime: Bool
    }
    private let path = Mutex<AudioPath?>(nil)
    public var audioPath: AudioPath? { path.withLock { $0 } }
    public var captureInUse: String? { audioPath?.capture }
    public var playbackInUse: String? { audioPath?.playback }
    public private(set) var lastDeviceError: String?
    /// Called on `queue` when the devices change (opened, lost, moved, closed).
    public var onDevicesChanged: (@Sendable () -> Void)?

    /// Devices come and go (hot-plug, asoundrc edits): see `devicesMayHaveChanged`.
    private var watcher: AudioDeviceWatcher?
    /// The PCMs listed when the devices in use were opened.
    private var listedAtOpen: Set<String> = []

    /// `watch`: follow device changes (inotify on /dev/snd and the ALSA
    /// configuration files named by `HOME` and `ALSA_CONFIG_PATH`).
    public init(ports: ClosedRange<UInt16>, devices: AudioDeviceSettings, queue: DispatchQueue = DispatchQueue(label: "sipendpointd.media"),
                watch: Bool = true) {
        self.ports = ports
        self.devices = devices
        self.queue = queue
        guard watch else { return }
        var environment: [String: String] = [:]
        for key in ["HOME", "ALSA_CONFIG_PATH"] { if let v = getenv(key) { environment[key] = String(cString: v) } }
        let env = environment
        queue.async { [self] in
            watcher = AudioDeviceWatcher(paths: AudioDeviceWatcher.defaultPaths(environment: env), queue: queue) { [weak self] in
                self?.devicesMayHaveChanged()
            }
        }
    }

    /// Devices came or went. While a call has the headset, the audio moves
    /// when the device in use left, or when one the configuration prefers
    /// to it appeared (the headset plugged back in); the call goes on.
    private func devicesMayHaveChanged() {
        defer { onDevicesChanged?() }
        guard let thread, !thread.deviceFailed.load(ordering: .acquiring) else { return reconcile() }
        let present = AudioDeviceCatalog.current()
        let listed = Set(present.map(\.name))
        let inUse = audioPath
        for (direction, current) in [(ALSADevice.Direction.capture, inUse?.capture), (.playback, inUse?.playback)] {
            guard let current else { continue }
            let candidates = devices.candidates(direction, present: present)
            let gone = listedAtOpen.contains(current) && !listed.contains(current)
            let better = candidates.prefix { $0 != current }.contains { listed.contains($0) }
            if gone || better {
                stopThread()
                reconcile()
                return
            }
        }
    }

    /// Opens a stream's sockets (on `queue`'s read sources).
    public func openStream(address: SocketAddress, opus: OpusCodec.Settings = .init()) throws(MediaError) -> MediaStream {
        let stream = try MediaStream(address: address, ports: ports, queue: queue)
        stream.opus = opus
        return stream
    }

    /// Whether a capture and a playback device can be opened now (for the
    /// "reject when no headset" policy). Opens and closes them at once.
    public func headsetPresent(sampleRate: Int = 8000) -> Bool {
        if running.load(ordering: .acquiring) { return true }
        // On the queue: ALSA's configuration is read and opened from there only.
        return queue.sync {
            guard let (c, p) = try? Self.open(devices, rate: sampleRate, present: AudioDeviceCatalog.current()) else { return false }
            c.close()
            p.close()
            return true
        }
    }

    /// True while the audio thread runs (read from any thread).
    private let running = Atomic<Bool>(false)

    /// Gives the headset to `stream` (nil: nobody; the devices close).
    public func activate(_ stream: MediaStream?) {
        active.withLock { $0 = stream }
        queue.async { [self] in reconcile() }
    }

    /// The stream that has the headset now.
    public var activeStream: MediaStream? { active.withLock { $0 } }

    /// Microphone and speaker as the agent desktop sets them (Connector
    /// `POST /audio`): muted, and volume 0–100 where 50 is the level as
    /// captured or received (gain = volume / 50, so 100 doubles it).
    public let microphoneMuted = Atomic<Bool>(false)
    public let speakerMuted = Atomic<Bool>(false)
    public let microphoneVolume = Atomic<Int>(50)
    public let speakerVolume = Atomic<Int>(50)

    /// The period runs under the slot's lock, so once `deactivate` returns no
    /// period is still using the stream it removed (the lock is the audio
    /// thread's alone but for that rare moment). Mute and volume are applied
    /// here, in place, on the thread's own buffers.
    public func audioPeriod(captured: UnsafeBufferPointer<Int16>, playback: UnsafeMutableBufferPointer<Int16>) {
        var input = captured
        let muted = microphoneMuted.load(ordering: .relaxed), volume = microphoneVolume.load(ordering: .relaxed)
        if muted || volume != 50, captured.count <= micScratch.count {
            // A copy of the microphone's frame (the capture buffer is the thread's, not ours to change).
            let copy = UnsafeMutableBufferPointer(rebasing: micScratch[0..<captured.count])
            _ = copy.initialize(from: captured)
            Self.scale(copy, muted: muted, volume: volume)
            input = UnsafeBufferPointer(copy)
        }
        active.withLock { $0?.audioPeriod(captured: input, playback: playback) }
        Self.scale(playback, muted: speakerMuted.load(ordering: .relaxed), volume: speakerVolume.load(ordering: .relaxed))
    }

    public func audioXruns(_ count: Int) {
        active.withLock { $0?.xruns.add(count, ordering: .relaxed) }
    }

    static func scale(_ samples: UnsafeMutableBufferPointer<Int16>, muted: Bool, volume: Int) {
        if muted || volume <= 0 {
            samples.update(repeating: 0)
        } else if volume != 50 {
            let gain = Int32(min(volume, 100)) // in fiftieths
            for i in 0..<samples.count { samples[i] = Int16(clamping: Int32(samples[i]) * gain / 50) }
        }
    }

    /// Room for one frame of the microphone (48 kHz, 60 ms at most), used by the audio thread only.
    private let micScratch: UnsafeMutableBufferPointer<Int16> = {
        let b = UnsafeMutableBufferPointer<Int16>.allocate(capacity: 2880)
        b.initialize(repeating: 0)
        return b
    }()

    deinit { micScratch.deallocate() }

    /// True while a capture and a playback device are open (Connector `headset_used`).
    public var headsetInUse: Bool { running.load(ordering: .acquiring) }

    /// Takes the headset from `stream` now (synchronously): after this the
    /// audio thread no longer touches it, so it may be closed.
    public func deactivate(_ stream: MediaStream) {
        let removed = active.withLock { s -> Bool in
            guard s === stream else { return false }
            s = nil
            return true
        }
        if removed { queue.async { [self] in reconcile() } }
    }

    /// New device settings (reload): the audio moves at once if it is running.
    public func update(devices: AudioDeviceSettings) {
        queue.async { [self] in
            guard devices != self.devices else { return }
            self.devices = devices
            stopThread()
            reconcile()
        }
    }

    /// Makes the thread match the active stream: started at its rate, restarted on a rate change, stopped when idle.
    private func reconcile() {
        let rate = active.withLock { $0?.pcmRate }
        if let thread, rate == nil || rate != threadRate || thread.deviceFailed.load(ordering: .acquiring) {
            stopThread()
        }
        guard let rate, thread == nil else { return }
        do throws(MediaError) {
            let (c, p) = try openDevices(rate: rate)
            let t = try AudioThread(capture: c, playback: p, rate: rate, handler: self)
            try t.start()
            thread = t
            path.withLock {
                $0 = AudioPath(capture: c.name, playback: p.name, captureRate: c.sampleRate, playbackRate: p.sampleRate,
                               periodMs: devices.effectivePeriodMs, realtime: t.realtime.load(ordering: .relaxed))
            }
            running.store(true, ordering: .releasing)
            threadRate = rate
            lastDeviceError = nil
        } catch {
            lastDeviceError = error.reason
        }
        startWatchdog()
        onDevicesChanged?()
    }

    private func openDevices(rate: Int) throws(MediaError) -> (ALSADevice, ALSADevice) {
        let present = AudioDeviceCatalog.current()
        let (c, p) = try Self.open(devices, rate: rate, present: present)
        listedAtOpen = Set(present.map(\.name))
        return (c, p)
    }

    /// The first capture and playback devices of `devices` that open.
    private static func open(_ devices: AudioDeviceSettings, rate: Int, present: [AudioDeviceEntry]) throws(MediaError) -> (ALSADevice, ALSADevice) {
        var errors: [String] = []
        for name in devices.candidates(.capture, present: present) {
            do throws(MediaError) {
                let c = try ALSADevice(name: name, direction: .capture, sampleRate: rate, periodMs: devices.effectivePeriodMs)
                for out in devices.candidates(.playback, present: present) {
                    do throws(MediaError) {
                        return (c, try ALSADevice(name: out, direction: .playback, sampleRate: rate, periodMs: devices.effectivePeriodMs))
                    } catch { errors.append(error.reason) }
                }
                c.close()
            } catch { errors.append(error.reason) }
        }
        throw MediaError(.noDevice, errors.isEmpty ? "no audio device configured" : errors.joined(separator: "; "))
    }

    private func stopThread() {
        guard let t = thread else { return }
        t.stop()
        t.capture.close()
        t.playback.close()
        thread = nil
        running.store(false, ordering: .releasing)
        path.withLock { $0 = nil }
    }

    /// While a stream is active: a lost device (or none found) is retried every 500 ms.
    private func startWatchdog() {
        let wanted = active.withLock { $0 } != nil
        if !wanted {
            watchdog?.cancel()
            watchdog = nil
            return
        }
        guard watchdog == nil else { return }
        let t = DispatchSource.makeTimerSource(queue: queue)
        t.schedule(deadline: .now() + .milliseconds(500), repeating: .milliseconds(500))
        t.setEventHandler { [weak self] in
            guard let self else { return }
            if self.thread == nil || self.thread!.deviceFailed.load(ordering: .acquiring) { self.reconcile() }
        }
        watchdog = t
        t.resume()
    }

    /// Periods the audio thread ran (tests).
    public var periods: Int { queue.sync { thread?.periods.load(ordering: .relaxed) ?? 0 } }
}
