import Foundation
import Testing
@testable import RTPMedia

/// The device-rate converter: whole frames in give whole frames out, speech
/// band passes, and what lies above the new Nyquist rate is filtered out
/// instead of folding back (what ALSA's linear converter does).
@Suite struct ResamplerTests {
    /// RMS of `tone` Hz at `from` Hz converted to `to` Hz, frame by frame
    /// (20 ms), after the filter settled; also whether every frame came out whole.
    static func convert(tone: Double, from: Int, to: Int, frames: Int = 50) throws -> (rms: Double, whole: Bool) {
        let r = try Resampler(from: from, to: to)
        let inN = from / 50, outN = to / 50
        var input = [Int16](repeating: 0, count: inN), output = [Int16](repeating: 0, count: outN)
        var whole = true, sum = 0.0, count = 0
        for f in 0..<frames {
            for i in 0..<inN {
                let t = Double(f * inN + i) / Double(from)
                input[i] = Int16(10_000 * sin(2 * Double.pi * tone * t))
            }
            let n = input.withUnsafeBufferPointer { i in output.withUnsafeMutableBufferPointer { r.process(i, into: $0) } }
            whole = whole && n == outN
            if f >= 5 {
                for s in output { sum += Double(s) * Double(s) }
                count += outN
            }
        }
        return ((sum / Double(count)).squareRoot(), whole)
    }

    @Test(arguments: [(16000, 8000), (48000, 8000), (8000, 48000), (44100, 8000), (8000, 44100), (16000, 48000), (48000, 16000)])
    func wholeFramesAndTheSpeechBandPass(rates: (Int, Int)) throws {
        let (rms, whole) = try Self.convert(tone: 1000, from: rates.0, to: rates.1)
        #expect(whole, "\(rates.0) → \(rates.1): a frame did not come out whole")
        // A 10,000-peak sine has an RMS of 7,071.
        #expect(abs(rms - 7071) < 500, "\(rates.0) → \(rates.1): 1 kHz came out at RMS \(rms)")
    }

    @Test func nothingAboveTheNewBandFoldsBack() throws {
        // 6 kHz at 16 kHz would land at 2 kHz at 8 kHz if merely decimated.
        let (rms, _) = try Self.convert(tone: 6000, from: 16000, to: 8000)
        #expect(rms < 7071 * 0.05, "6 kHz folded back at RMS \(rms) (over -26 dB)")
    }

    @Test func resetForgetsThePreviousAudio() throws {
        let r = try Resampler(from: 16000, to: 8000)
        var loud = [Int16](repeating: 12_000, count: 320), silent = [Int16](repeating: 0, count: 320)
        var out = [Int16](repeating: 0, count: 160)
        _ = loud.withUnsafeMutableBufferPointer { i in out.withUnsafeMutableBufferPointer { r.process(UnsafeBufferPointer(i), into: $0) } }
        r.reset()
        _ = silent.withUnsafeMutableBufferPointer { i in out.withUnsafeMutableBufferPointer { r.process(UnsafeBufferPointer(i), into: $0) } }
        #expect(out.allSatisfy { $0 == 0 })
    }
}
