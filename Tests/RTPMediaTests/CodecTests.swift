import Foundation
import Testing
@testable import RTPMedia

@Suite struct G711Tests {
    /// Reference points of G.711's tables.
    @Test func ituReferenceValues() {
        #expect(G711.encodeMu(0) == 0xFF)
        #expect(G711.decodeMu(0xFF) == 0 && G711.decodeMu(0x7F) == 0)
        #expect(G711.decodeMu(0x80) == 32124 && G711.decodeMu(0x00) == -32124)
        #expect(G711.decodeMu(0xFE) == 8 && G711.decodeMu(0x7E) == -8)
        #expect(G711.encodeA(0) == 0xD5)
        #expect(G711.decodeA(0xD5) == 8 && G711.decodeA(0x55) == -8)
        #expect(G711.decodeA(0xAA) == 32256 && G711.decodeA(0x2A) == -32256)
        #expect(G711.encodeMu(32767) == 0x80 && G711.encodeMu(-32768) == 0x00)
        #expect(G711.encodeA(32767) == 0xAA && G711.encodeA(-32768) == 0x2A)
    }

    /// Every code decodes to a value that encodes back to the same code,
    /// and quantisation error stays within G.711's segment step.
    @Test(arguments: [G711.Law.mu, .a])
    func tablesAreConsistent(_ law: G711.Law) {
        for code in 0...255 {
            let b = UInt8(code)
            let v = law == .mu ? G711.decodeMu(b) : G711.decodeA(b)
            let again = law == .mu ? G711.encodeMu(v) : G711.encodeA(v)
            // μ-law has two codes for zero (0xFF, 0x7F).
            #expect(again == b || (law == .mu && v == 0), "code \(code) → \(v) → \(again)")
        }
        for x in stride(from: -32768, through: 32767, by: 7) {
            let s = Int16(x)
            let y = Int(law == .mu ? G711.decodeMu(G711.encodeMu(s)) : G711.decodeA(G711.encodeA(s)))
            #expect(abs(y - x) <= max(16, abs(x) / 16), "x=\(x) y=\(y)")
        }
    }

    @Test func concealmentRepeatsPitchAndFades() {
        var plc = PitchConcealer(sampleRate: 8000)
        // A 200 Hz tone: pitch period 40 samples.
        var frame = [Int16](repeating: 0, count: 160)
        var t = 0
        for _ in 0..<5 {
            for i in 0..<160 { frame[i] = Int16(10_000 * Signal.sine(Double(t + i) * 2 * .pi / 40)) }
            t += 160
            frame.withUnsafeMutableBufferPointer { plc.good($0) }
        }
        var lost = [Int16](repeating: 0, count: 160)
        lost.withUnsafeMutableBufferPointer { plc.conceal($0) }
        // The first concealed frame continues the tone at full level.
        let energy = lost.reduce(0.0) { $0 + Double($1) * Double($1) } / 160
        #expect(energy > 0.3 * 10_000 * 10_000 / 2)
        // After 60 ms of loss it is silent.
        for _ in 0..<3 { lost.withUnsafeMutableBufferPointer { plc.conceal($0) } }
        #expect(lost.allSatisfy { abs(Int($0)) < 200 })
    }

    /// A voice whose pitch moves from 100 Hz to 125 Hz where a frame is lost,
    /// the frame after it already here: the bridged frame must end on the
    /// next frame's own waveform (its own pitch period continued backwards),
    /// not the past's period laid over it (a quarter period out of phase).
    @Test func aBridgedLossEndsOnTheNextFramesPitch() {
        func voiced(_ n: Int, period: Int) -> Double {
            (1...4).reduce(0.0) { $0 + sin(Double(n * $1) * 2 * .pi / Double(period)) / Double($1) }
        }
        var plc = PitchConcealer(sampleRate: 8000)
        var frame = [Int16](repeating: 0, count: 160)
        for f in 0..<5 {
            for i in 0..<160 { frame[i] = Int16(6_000 * voiced(f * 160 + i, period: 80)) }
            frame.withUnsafeMutableBufferPointer { plc.good($0) }
        }
        // Lost frame and next one at 64 samples a period, continuous at the next frame's start.
        let truth = (0..<160).map { Double(6_000 * voiced($0 - 160, period: 64)) }
        let next = (0..<160).map { Int16(6_000 * voiced($0, period: 64)) }
        var lost = [Int16](repeating: 0, count: 160)
        next.withUnsafeBufferPointer { n in lost.withUnsafeMutableBufferPointer { plc.interpolate($0, next: n) } }
        // The last 5 ms against what was really said.
        var dot = 0.0, a = 0.0, b = 0.0
        for i in 120..<160 {
            dot += Double(lost[i]) * truth[i]
            a += Double(lost[i]) * Double(lost[i])
            b += truth[i] * truth[i]
        }
        let correlation = dot / (a * b).squareRoot()
        #expect(correlation > 0.9, "the bridged frame's end correlates \(correlation) with the real signal")
        #expect(PitchConcealer.leadingPitch(next.withUnsafeBufferPointer { $0 }, sampleRate: 8000) == 64)
    }
}

@Suite struct EModelTests {
    @Test func g107ReferencePoints() {
        // Default values: R = 93.2, MOS 4.41.
        let r = EModel.rating(codec: .g711PLC, lossPercent: 0, oneWayDelayMs: 50)
        #expect(abs(r - 93.2) < 0.01)
        #expect(abs(EModel.mos(rating: r) - 4.41) < 0.01)
        #expect(EModel.mos(rating: 0) == 1 && EModel.mos(rating: 100) == 4.5)
        #expect(abs(EModel.mos(rating: 50) - 2.58) < 0.01)
        // No delay impairment up to 100 ms; G.107 Idd at 200 ms ≈ 3.4, at 400 ms ≈ 17.9 ... monotonic.
        #expect(EModel.delayImpairment(100) == 0)
        let i200 = EModel.delayImpairment(200), i400 = EModel.delayImpairment(400)
        #expect(i200 > 1 && i200 < 6 && i400 > i200 && i400 < 25)
        // Loss: G.711 with PLC at 3 % random loss: Ie,eff = 95·3/(3+25.1) ≈ 10.1.
        let lossy = EModel.rating(codec: .g711PLC, lossPercent: 3, oneWayDelayMs: 50)
        #expect(abs((93.2 - lossy) - 10.14) < 0.05)
        #expect(EModel.rating(codec: .g711, lossPercent: 3, oneWayDelayMs: 50) < lossy)
    }
}
