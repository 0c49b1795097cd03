import CSIPSpeexDSP

/// Converts mono S16 audio between the codec's rate and the rate the audio
/// device really runs at, with libspeexdsp's resampler at its VoIP quality
/// (a band-limited filter: decimating 16 or 48 kHz capture to 8 kHz for
/// G.711 without one folds everything above 4 kHz back into the speech
/// band, which is what ALSA's default `linear` converter does — about one
/// PESQ point lost on speech).
///
/// Between rates whose ratio repeats within a frame (8, 16, 24, 32, 44.1,
/// 48, 96 kHz and 20 or 10 ms), every whole frame in gives exactly one
/// whole frame out: the filter's delay (under 2 ms at this quality) is
/// carried in the state, not in a changing frame length.
///
/// Owned by one thread (the audio thread) at a time.
public final class Resampler: @unchecked Sendable {
    private let state: OpaquePointer
    public let inputRate: Int
    public let outputRate: Int

    public init(from inputRate: Int, to outputRate: Int) throws(MediaError) {
        var err: Int32 = 0
        guard inputRate > 0, outputRate > 0,
              let s = speex_resampler_init(1, UInt32(inputRate), UInt32(outputRate), csip_speex_resampler_quality_voip(), &err), err == 0 else {
            throw MediaError(.library, "resampler \(inputRate) Hz → \(outputRate) Hz could not be set up (speexdsp error \(err))")
        }
        state = s
        self.inputRate = inputRate
        self.outputRate = outputRate
    }

    deinit { speex_resampler_destroy(state) }

    /// Converts all of `input` into `output` and returns how many samples
    /// were written; any of `output` left over (a frame that did not come
    /// out whole, which the rates above never give) is zeroed, so a caller
    /// playing a fixed frame never plays stale samples.
    @discardableResult
    public func process(_ input: UnsafeBufferPointer<Int16>, into output: UnsafeMutableBufferPointer<Int16>) -> Int {
        guard let inBase = input.baseAddress, let outBase = output.baseAddress else { return 0 }
        var inLen = UInt32(input.count), outLen = UInt32(output.count)
        speex_resampler_process_int(state, 0, inBase, &inLen, outBase, &outLen)
        let written = Int(outLen)
        if written < output.count { (outBase + written).update(repeating: 0, count: output.count - written) }
        return written
    }

    /// Forgets the audio so far (a new call, a moved device): no tail of
    /// the previous one is heard.
    public func reset() { speex_resampler_reset_mem(state) }
}
