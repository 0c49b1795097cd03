import Synchronization
import Testing
@testable import RTPMedia
#if canImport(Glibc)
import Glibc
#endif

/// The real audio thread on ALSA's `null` PCM, which returns at once
/// (as a FIFO at end of input does): 10 ms periods become 20 ms frames
/// for the handler, and the loop keeps real time instead of spinning.
@Suite struct AudioThreadTests {
    final class Counter: AudioPeriodHandler, @unchecked Sendable {
        let calls = Atomic<Int>(0)
        let wrongSize = Atomic<Int>(0)
        /// The scheduling policy the handler found itself running under.
        let policy = Atomic<Int32>(-1)
        let frame: Int
        init(frame: Int) { self.frame = frame }
        func audioPeriod(captured: UnsafeBufferPointer<Int16>, playback: UnsafeMutableBufferPointer<Int16>) {
            if captured.count != frame || playback.count != frame { wrongSize.add(1, ordering: .relaxed) }
            policy.store(sched_getscheduler(0), ordering: .relaxed)
            calls.add(1, ordering: .relaxed)
        }
    }

    /// Polls `done` every 10 ms for at most `seconds` (the audio thread has no event to await).
    static func wait(upTo seconds: Int, until done: () -> Bool) {
        for _ in 0..<(seconds * 100) {
            if done() { return }
            usleep(10_000)
        }
    }

    @Test func tenMillisecondPeriodsMakeTwentyMillisecondFramesInRealTime() throws {
        let capture = try ALSADevice(name: "null", direction: .capture, sampleRate: 16000, periodMs: 10)
        let playback = try ALSADevice(name: "null", direction: .playback, sampleRate: 16000, periodMs: 10)
        defer { capture.close(); playback.close() }
        #expect(capture.sampleRate == 16000 && capture.periodFrames == 160)
        let handler = Counter(frame: 320)
        let thread = try AudioThread(capture: capture, playback: playback, rate: 16000, handler: handler)
        let start = Pacer.now()
        try thread.start()
        // Bounded: 40 periods in real time take about 0.4 s; give up after 5 s.
        Self.wait(upTo: 5) { thread.periods.load(ordering: .relaxed) >= 40 }
        thread.stop()
        let elapsedMs = (Pacer.now() - start) / 1_000_000
        let periods = thread.periods.load(ordering: .relaxed), calls = handler.calls.load(ordering: .relaxed)
        #expect(periods >= 40)
        // Two periods per frame, each frame handed over whole.
        #expect(abs(calls * 2 - periods) <= 2, "\(calls) frames for \(periods) periods")
        #expect(handler.wrongSize.load(ordering: .relaxed) == 0)
        // `realtime` tells the truth about the thread's scheduling (SCHED_FIFO
        // where the process may, as root here; normal otherwise).
        let fifo = handler.policy.load(ordering: .relaxed) == SCHED_FIFO, reported = thread.realtime.load(ordering: .relaxed)
        #expect(fifo == reported, "policy \(handler.policy.load(ordering: .relaxed)), realtime \(reported)")
        print("MEASURED audio thread scheduling: \(fifo ? "SCHED_FIFO" : "normal")")
        // Real time, less the read-ahead the pacer allows (4 periods): not the
        // few milliseconds a spinning loop would take.
        #expect(elapsedMs >= Int64(periods - 5) * 10, "\(periods) periods in \(elapsedMs) ms")
    }

    /// A device that runs at 16 kHz under a G.711 call (8 kHz): the handler
    /// gets 8 kHz frames of 20 ms, converted on the audio thread.
    @Test func aDeviceAtAnotherRateIsConverted() throws {
        let capture = try ALSADevice(name: "null", direction: .capture, sampleRate: 16000, periodMs: 20)
        let playback = try ALSADevice(name: "null", direction: .playback, sampleRate: 48000, periodMs: 20)
        defer { capture.close(); playback.close() }
        let handler = Counter(frame: 160)
        let thread = try AudioThread(capture: capture, playback: playback, rate: 8000, handler: handler)
        try thread.start()
        Self.wait(upTo: 5) { handler.calls.load(ordering: .relaxed) >= 10 }
        thread.stop()
        #expect(handler.calls.load(ordering: .relaxed) >= 10)
        #expect(handler.wrongSize.load(ordering: .relaxed) == 0)
        let failed = thread.deviceFailed.load(ordering: .relaxed)
        #expect(!failed)
    }
}
