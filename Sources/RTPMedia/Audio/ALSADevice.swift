import CSIPALSA
import Synchronization

/// One ALSA PCM (capture or playback), S16_LE mono, at a rate the device
/// takes as it is — the codec's rate when it can, else a common native
/// rate, which the audio thread converts with `Resampler` (ALSA's plug
/// layer would convert too, but by default with its `linear` converter,
/// which aliases); only a device with none of those rates is left to the
/// plug layer. Reads/writes of one period on the audio thread only,
/// waiting at most `stallLimit` for the device (nonblocking handle plus
/// `snd_pcm_wait`): a device that stops moving — unplugged, or a pipe
/// nobody reads — is a failed device, never a thread stuck for good. Xruns
/// are recovered with `snd_pcm_recover` and counted.
///
/// `@unchecked Sendable` boundary: the handle is used by the audio thread
/// that opened it, and closed once after that thread stopped.
public final class ALSADevice: @unchecked Sendable {
    public enum Direction: Sendable { case capture, playback }

    private var pcm: OpaquePointer?
    public let name: String
    public let direction: Direction
    /// The rate the device runs at (the wanted rate, or a native one the audio thread converts from).
    public let sampleRate: Int
    /// Samples per period at `sampleRate`.
    public let periodFrames: Int
    /// Over- and underruns recovered so far (read from any thread).
    public let xruns = Atomic<Int>(0)

    /// Opens `name` (an ALSA PCM name: `default`, `plughw:1,0`, a name from
    /// asoundrc) at `sampleRate` if the device takes it as it is, else at
    /// the first of `nativeRates` it takes.
    public init(name: String, direction: Direction, sampleRate wanted: Int, periodMs: Int = 20) throws(MediaError) {
        self.name = name
        self.direction = direction
        _ = Self.quiet
        var handle: OpaquePointer?
        let rc = snd_pcm_open(&handle, name, direction == .capture ? csip_alsa_capture() : csip_alsa_playback(), csip_alsa_nonblock())
        guard rc == 0, let handle else { throw MediaError(.noDevice, "ALSA \(direction) device '\(name)': \(Self.text(rc))") }
        // One period is one frame of audio (20 ms) or half of one: devices
        // paced by a producer that writes whole frames (and USB headsets)
        // then never see a partial read; the buffer holds three periods.
        switch Self.configure(handle, wanted: wanted, periodMs: periodMs) {
        case .success(let rate):
            sampleRate = rate
            periodFrames = rate * periodMs / 1000
        case .failure(let problem):
            snd_pcm_close(handle)
            throw MediaError(.noDevice, "ALSA \(direction) device '\(name)' refuses S16_LE mono \(wanted) Hz, \(periodMs) ms periods: \(problem.text)")
        }
        pcm = handle
    }

    deinit { close() }

    public func close() {
        if let pcm { snd_pcm_close(pcm) }
        pcm = nil
    }

    /// The longest the device may stand still before it counts as failed, ms.
    public var stallLimitMs: Int32 = 500

    /// Reads exactly `buffer.count` frames; false if the device failed.
    public func read(_ buffer: UnsafeMutableBufferPointer<Int16>) -> Bool {
        guard let base = buffer.baseAddress else { return false }
        return transfer(buffer.count) { pcm, done, left in snd_pcm_readi(pcm, base + done, snd_pcm_uframes_t(left)) }
    }

    /// Writes `buffer`; false if the device failed.
    public func write(_ buffer: UnsafeBufferPointer<Int16>) -> Bool {
        guard let base = buffer.baseAddress else { return false }
        return transfer(buffer.count) { pcm, done, left in snd_pcm_writei(pcm, base + done, snd_pcm_uframes_t(left)) }
    }

    /// Moves `frames` frames with `step`, waiting for the device between
    /// partial transfers; recovers xruns; gives up after `stallLimitMs` of no progress.
    private func transfer(_ frames: Int, _ step: (OpaquePointer, Int, Int) -> snd_pcm_sframes_t) -> Bool {
        guard let pcm else { return false }
        var done = 0
        var stalled: Int32 = 0
        for _ in 0..<64 where done < frames {
            let n = step(pcm, done, frames - done)
            if n == -snd_pcm_sframes_t(EAGAIN) || n == 0 {
                // Nothing yet: wait for the device, at most 50 ms at a time.
                if snd_pcm_wait(pcm, 50) == 0 { stalled += 50 }
                if stalled >= stallLimitMs { return false }
                continue
            }
            if n < 0 {
                xruns.add(1, ordering: .relaxed)
                if snd_pcm_recover(pcm, Int32(n), 1) < 0 { return false }
                continue
            }
            done += Int(n)
            stalled = 0
        }
        return done == frames
    }

    /// Rates tried, in order, when the device does not take the codec's
    /// rate as it is: what USB headsets and sound cards run at natively.
    static let nativeRates = [48000, 16000, 32000, 24000, 44100, 96000, 8000]

    struct Problem: Error { let text: String }

    /// Hardware parameters: interleaved S16_LE mono at `wanted` or a native
    /// rate (ALSA not converting), else at `wanted` converted by ALSA;
    /// periods of `periodMs`, three of them buffered. Returns the rate.
    static func configure(_ pcm: OpaquePointer, wanted: Int, periodMs: Int) -> Result<Int, Problem> {
        var hw: OpaquePointer?
        guard snd_pcm_hw_params_malloc(&hw) == 0, let hw else { return .failure(Problem(text: "out of memory")) }
        defer { snd_pcm_hw_params_free(hw) }
        var native: Int?
        if base(pcm, hw, resample: false) >= 0 {
            native = ([wanted] + nativeRates).first { snd_pcm_hw_params_test_rate(pcm, hw, UInt32($0), 0) == 0 }
        }
        // None taken as it is: the codec's rate, converted by ALSA.
        let rate = native ?? wanted
        var r = UInt32(rate), dir: Int32 = 0
        var rc: Int32 = 0
        if native == nil { rc = base(pcm, hw, resample: true) }
        if rc >= 0 { rc = snd_pcm_hw_params_set_rate_near(pcm, hw, &r, &dir) }
        let periodFrames = Int(r) * periodMs / 1000
        var period = snd_pcm_uframes_t(periodFrames), buffer = snd_pcm_uframes_t(periodFrames * 3)
        if rc >= 0 { rc = snd_pcm_hw_params_set_period_size_near(pcm, hw, &period, &dir) }
        if rc >= 0 { rc = snd_pcm_hw_params_set_buffer_size_near(pcm, hw, &buffer) }
        if rc >= 0 { rc = snd_pcm_hw_params(pcm, hw) }
        if rc < 0 { return .failure(Problem(text: text(rc))) }
        if Int(r) != rate { return .failure(Problem(text: "rate \(r) Hz instead of \(rate)")) }
        return snd_pcm_prepare(pcm) < 0 ? .failure(Problem(text: "prepare failed")) : .success(Int(r))
    }

    /// Fresh parameters: interleaved S16_LE mono, ALSA's own rate conversion on or off.
    private static func base(_ pcm: OpaquePointer, _ hw: OpaquePointer, resample: Bool) -> Int32 {
        var rc = snd_pcm_hw_params_any(pcm, hw)
        if rc >= 0 { rc = snd_pcm_hw_params_set_rate_resample(pcm, hw, resample ? 1 : 0) }
        if rc >= 0 { rc = snd_pcm_hw_params_set_access(pcm, hw, csip_alsa_rw_interleaved()) }
        if rc >= 0 { rc = snd_pcm_hw_params_set_format(pcm, hw, csip_alsa_s16_le()) }
        if rc >= 0 { rc = snd_pcm_hw_params_set_channels(pcm, hw, 1) }
        return rc
    }

    /// Mutes alsa-lib's own stderr messages, once.
    static let quiet: Void = csip_alsa_silence_errors()

    static func text(_ rc: Int32) -> String { snd_strerror(rc).map { String(cString: $0) } ?? "error \(rc)" }
}
