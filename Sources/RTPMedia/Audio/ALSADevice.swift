import CSIPALSA

/// One ALSA PCM (capture or playback), S16_LE mono at the codec's rate:
/// ALSA's plug layer converts to what the device really takes, so no DSP
/// is written here. Blocking reads/writes of one period, on the audio
/// thread only; xruns are recovered with `snd_pcm_recover` and counted.
///
/// `@unchecked Sendable` boundary: the handle is used by the audio thread
/// that opened it, and closed once after that thread stopped.
public final class ALSADevice: @unchecked Sendable {
    public enum Direction: Sendable { case capture, playback }

    private var pcm: OpaquePointer?
    public let name: String
    public let direction: Direction
    public let sampleRate: Int
    public private(set) var xruns = 0

    /// Opens `name` (an ALSA PCM name: `default`, `plughw:1,0`, a name from asoundrc).
    public init(name: String, direction: Direction, sampleRate: Int, periodMs: Int = 20) throws(MediaError) {
        self.name = name
        self.direction = direction
        self.sampleRate = sampleRate
        var handle: OpaquePointer?
        var rc = snd_pcm_open(&handle, name, direction == .capture ? csip_alsa_capture() : csip_alsa_playback(), 0)
        guard rc == 0, let handle else { throw MediaError(.noDevice, "ALSA \(direction) device '\(name)': \(Self.text(rc))") }
        // Latency = a few periods: low delay, yet room for the thread's scheduling jitter.
        rc = snd_pcm_set_params(handle, csip_alsa_s16_le(), csip_alsa_rw_interleaved(), 1, UInt32(sampleRate), 1, UInt32(periodMs * 1000 * 3))
        guard rc == 0 else {
            snd_pcm_close(handle)
            throw MediaError(.noDevice, "ALSA \(direction) device '\(name)' refuses S16_LE mono \(sampleRate) Hz: \(Self.text(rc))")
        }
        pcm = handle
    }

    deinit { close() }

    public func close() {
        if let pcm { snd_pcm_close(pcm) }
        pcm = nil
    }

    /// Reads exactly `buffer.count` frames (blocking); false if the device failed for good.
    public func read(_ buffer: UnsafeMutableBufferPointer<Int16>) -> Bool {
        guard let pcm, var p = buffer.baseAddress else { return false }
        var left = buffer.count
        for _ in 0..<8 where left > 0 {
            let n = snd_pcm_readi(pcm, p, snd_pcm_uframes_t(left))
            if n < 0 {
                xruns += 1
                if snd_pcm_recover(pcm, Int32(n), 1) < 0 { return false }
                continue
            }
            left -= Int(n)
            p += Int(n)
        }
        return left == 0
    }

    /// Writes `buffer` (blocking); false if the device failed for good.
    public func write(_ buffer: UnsafeBufferPointer<Int16>) -> Bool {
        guard let pcm, var p = buffer.baseAddress else { return false }
        var left = buffer.count
        for _ in 0..<8 where left > 0 {
            let n = snd_pcm_writei(pcm, p, snd_pcm_uframes_t(left))
            if n < 0 {
                xruns += 1
                if snd_pcm_recover(pcm, Int32(n), 1) < 0 { return false }
                continue
            }
            left -= Int(n)
            p += Int(n)
        }
        return left == 0
    }

    static func text(_ rc: Int32) -> String { snd_strerror(rc).map { String(cString: $0) } ?? "error \(rc)" }
}
