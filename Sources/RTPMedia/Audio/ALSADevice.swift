import CSIPALSA
import Synchronization

/// One ALSA PCM (capture or playback), S16_LE mono at the codec's rate:
/// ALSA's plug layer converts to what the device really takes, so no DSP
/// is written here. Reads/writes of one period on the audio thread only,
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
    public let sampleRate: Int
    /// Over- and underruns recovered so far (read from any thread).
    public let xruns = Atomic<Int>(0)

    /// Opens `name` (an ALSA PCM name: `default`, `plughw:1,0`, a name from asoundrc).
    public init(name: String, direction: Direction, sampleRate: Int, periodMs: Int = 20) throws(MediaError) {
        self.name = name
        self.direction = direction
        self.sampleRate = sampleRate
        _ = Self.quiet
        var handle: OpaquePointer?
        var rc = snd_pcm_open(&handle, name, direction == .capture ? csip_alsa_capture() : csip_alsa_playback(), csip_alsa_nonblock())
        guard rc == 0, let handle else { throw MediaError(.noDevice, "ALSA \(direction) device '\(name)': \(Self.text(rc))") }
        // One period is one frame of audio (20 ms): devices paced by a
        // producer that writes whole frames (and USB headsets) then never
        // see a partial read; the buffer holds three periods.
        if let problem = Self.configure(handle, rate: sampleRate, periodFrames: sampleRate * periodMs / 1000) {
            snd_pcm_close(handle)
            throw MediaError(.noDevice, "ALSA \(direction) device '\(name)' refuses S16_LE mono \(sampleRate) Hz, \(periodMs) ms periods: \(problem)")
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

    /// Hardware parameters: interleaved S16_LE mono at `rate`, resampled by ALSA when
    /// the device needs it, periods of `periodFrames`, three of them buffered.
    static func configure(_ pcm: OpaquePointer, rate: Int, periodFrames: Int) -> String? {
        var hw: OpaquePointer?
        guard snd_pcm_hw_params_malloc(&hw) == 0, let hw else { return "out of memory" }
        defer { snd_pcm_hw_params_free(hw) }
        var r = UInt32(rate), dir: Int32 = 0
        var period = snd_pcm_uframes_t(periodFrames), buffer = snd_pcm_uframes_t(periodFrames * 3)
        var rc = snd_pcm_hw_params_any(pcm, hw)
        if rc >= 0 { rc = snd_pcm_hw_params_set_rate_resample(pcm, hw, 1) }
        if rc >= 0 { rc = snd_pcm_hw_params_set_access(pcm, hw, csip_alsa_rw_interleaved()) }
        if rc >= 0 { rc = snd_pcm_hw_params_set_format(pcm, hw, csip_alsa_s16_le()) }
        if rc >= 0 { rc = snd_pcm_hw_params_set_channels(pcm, hw, 1) }
        if rc >= 0 { rc = snd_pcm_hw_params_set_rate_near(pcm, hw, &r, &dir) }
        if rc >= 0 { rc = snd_pcm_hw_params_set_period_size_near(pcm, hw, &period, &dir) }
        if rc >= 0 { rc = snd_pcm_hw_params_set_buffer_size_near(pcm, hw, &buffer) }
        if rc >= 0 { rc = snd_pcm_hw_params(pcm, hw) }
        if rc < 0 { return text(rc) }
        if Int(r) != rate { return "rate \(r) Hz instead of \(rate)" }
        return snd_pcm_prepare(pcm) < 0 ? "prepare failed" : nil
    }

    /// Mutes alsa-lib's own stderr messages, once.
    static let quiet: Void = csip_alsa_silence_errors()

    static func text(_ rc: Int32) -> String { snd_strerror(rc).map { String(cString: $0) } ?? "error \(rc)" }
}
