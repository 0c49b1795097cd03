// Media benchmark: CPU per call for the per-frame work of one call, both
// directions (capture → encode → RTP → SRTP protect, and SRTP unprotect →
// RTP parse → jitter buffer → decode), at 50 packets/s each way, as a
// percentage of one core; and how many such calls one core carries.
// Then the endpoint's own added delay on a clean network (Delay.swift).
// Run: swift run -c release MediaBench [seconds-of-audio]
// (MediaBench impair ...: the receive path under a modelled network, Impair.swift)
import RTPMedia
#if canImport(Glibc)
import Glibc
#endif

/// `v` with `digits` decimals (no Foundation here).
func fixed(_ v: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let r = (v * scale).rounded() / scale
    let whole = Int(r), frac = Int(((r - Double(whole)) * scale).rounded())
    let f = String(frac)
    return digits == 0 ? String(whole) : "\(whole)." + String(repeating: "0", count: max(0, digits - f.count)) + f
}

func cpuSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// A speech-like test signal: a few harmonics with a slow envelope.
func fill(_ pcm: inout [Int16], frame: Int, rate: Int) {
    for i in 0..<pcm.count {
        let t = Double(frame * pcm.count + i) / Double(rate)
        let env: Double = 0.5 + 0.5 * sin(2 * Double.pi * 3 * t)
        let h1: Double = sin(2 * Double.pi * 180 * t)
        let h2: Double = 0.5 * sin(2 * Double.pi * 360 * t)
        let h3: Double = 0.25 * sin(2 * Double.pi * 1100 * t)
        let v: Double = (h1 + h2 + h3) * 6000 * env
        pcm[i] = Int16(max(-32768, min(32767, v)))
    }
}

/// `redundancy`: RFC 2198 packets as MediaStream sends them while the far
/// end reports loss (the previous frame repeated before each one).
func run(_ name: String, seconds: Int, makeCodec: () throws -> AudioCodec, payloadType: UInt8, srtp: Bool, redundancy: Bool = false) throws {
    let tx = try makeCodec(), rx = try makeCodec()
    let rate = tx.sampleRate, frame = rate / 50, ticks = UInt32(tx.rtpClockRate / 50)
    let key = (0..<30).map { UInt8($0) }
    let protect = srtp ? try SRTPSession(suite: .aesCM128HmacSha1_80, key: key, inbound: false) : nil
    let unprotect = srtp ? try SRTPSession(suite: .aesCM128HmacSha1_80, key: key, inbound: true) : nil
    var jb = JitterBuffer(.init(clockRate: tx.rtpClockRate))
    var pcm = [Int16](repeating: 0, count: frame), out = [Int16](repeating: 0, count: frame * 3)
    var packet = [UInt8](repeating: 0, count: 1600)
    var previous = [UInt8](repeating: 0, count: RedundantAudio.maximumBlockLength), previousLength: Int?
    let frames = seconds * 50
    // The test signal is made before timing: the capture side does not compute it.
    var signal: [[Int16]] = []
    for f in 0..<50 { fill(&pcm, frame: f, rate: rate); signal.append(pcm) }
    let start = cpuSeconds()
    var bytes = 0
    for f in 0..<frames {
        var length = 0
        try packet.withUnsafeMutableBytes { p in
            RTPHeader(payloadType: redundancy ? 100 : payloadType, sequenceNumber: UInt16(truncatingIfNeeded: f), timestamp: UInt32(f) &* ticks, ssrc: 0x1234).write(to: p)
            var start = 12
            if redundancy {
                let h = RedundantAudio.writeHeaders(primaryType: payloadType, redundant: previousLength.map { (ticks, $0) },
                                                    into: UnsafeMutableRawBufferPointer(rebasing: p[12...]))!
                start += h
                if let l = previousLength {
                    previous.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: p[start..<(start + l)]).copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<l])) }
                    start += l
                }
            }
            let n = try signal[f % 50].withUnsafeBufferPointer { try tx.encode($0, into: UnsafeMutableRawBufferPointer(rebasing: p[start..<1500])) }
            if redundancy {
                previous.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: p[start..<(start + n)])) }
                previousLength = n
            }
            length = start + n
            if let protect { length = try protect.protect(p, length: length) }
            bytes += length
            if let unprotect { length = try unprotect.unprotect(p, length: length) }
            let h = try RTPHeader(parsing: UnsafeRawBufferPointer(rebasing: p[0..<length]))
            let payload = UnsafeRawBufferPointer(rebasing: p[h.payloadOffset..<(h.payloadOffset + h.payloadLength)])
            if redundancy {
                // Nothing is lost here: the primary goes in, the copy (its original already came) does not.
                RedundantAudio.forEachBlock(payload, timestamp: h.timestamp) { b in
                    if b.distance == 0 { _ = jb.insert(timestamp: b.timestamp, payload: b.data, arrivalMicros: Int64(f) * 20_000) }
                }
            } else {
                _ = jb.insert(timestamp: h.timestamp, payload: payload, arrivalMicros: Int64(f) * 20_000)
            }
        }
        if case .play(let slot) = jb.pull(nowMicros: Int64(f) * 20_000 + 10_000) {
            out.withUnsafeMutableBufferPointer { o in
                jb.withPayload(slot: slot) { payload in _ = try? rx.decode(payload, into: o) }
            }
        }
    }
    let cpu = cpuSeconds() - start
    // One direction per loop: a call is two.
    let percent = 2 * cpu / Double(seconds) * 100
    let calls = Int(100 / percent), kbps = Double(bytes) * 8 / Double(seconds) / 1000
    print("\(name): \(fixed(percent, 3)) % of one core per call (both directions), \(calls) calls per core; \(fixed(kbps, 1)) kbit/s on the wire each way")
}

/// The audio thread's rate conversion for a device that runs at
/// `deviceRate` under a codec at `codecRate`: capture down, playback up.
func runResample(deviceRate: Int, codecRate: Int, seconds: Int) throws {
    let down = try Resampler(from: deviceRate, to: codecRate), up = try Resampler(from: codecRate, to: deviceRate)
    var device = [Int16](repeating: 0, count: deviceRate / 50), codec = [Int16](repeating: 0, count: codecRate / 50)
    fill(&device, frame: 0, rate: deviceRate)
    let start = cpuSeconds()
    for _ in 0..<(seconds * 50) {
        device.withUnsafeBufferPointer { d in codec.withUnsafeMutableBufferPointer { _ = down.process(d, into: $0) } }
        codec.withUnsafeBufferPointer { c in device.withUnsafeMutableBufferPointer { _ = up.process(c, into: $0) } }
    }
    let percent = (cpuSeconds() - start) / Double(seconds) * 100
    print("Resampling, device at \(deviceRate / 1000) kHz, codec at \(codecRate / 1000) kHz (speexdsp, both directions): \(fixed(percent, 3)) % of one core per call")
}

if CommandLine.arguments.count > 1, CommandLine.arguments[1] == "delay" {
    do { try reportDelay() } catch {
        print("MediaBench failed: \(error)")
        exit(1)
    }
    exit(0)
}
if CommandLine.arguments.count > 1, CommandLine.arguments[1] == "impair" {
    do { try impair(Array(CommandLine.arguments.dropFirst(2))) } catch {
        print("MediaBench impair failed: \(error)")
        exit(1)
    }
    exit(0)
}
let seconds = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 60 : 60
var opus = OpusCodec.Settings()
opus.sampleRate = 16000
if let v = environmentInt("OPUS_BITRATE") { opus.bitrate = v }
do {
    for complexity in [8, 6, 5, 3, 1] {
        opus.complexity = complexity
        try run("Opus 16 kHz \(opus.bitrate / 1000) kbit/s complexity \(complexity) + SRTP, resilient (SILK + FEC: lossy network)", seconds: seconds,
                makeCodec: { try OpusCodec(opus) }, payloadType: 111, srtp: true)
        try run("Opus 16 kHz \(opus.bitrate / 1000) kbit/s complexity \(complexity) + SRTP, lean (CELT: clean network)", seconds: seconds,
                makeCodec: { let c = try OpusCodec(opus); c.resilient = false; return c }, payloadType: 111, srtp: true)
        if complexity == 6 {
            try run("Opus 16 kHz \(opus.bitrate / 1000) kbit/s complexity 6 + SRTP, lean + RFC 2198 redundancy (lossy network, far end takes red)",
                    seconds: seconds, makeCodec: { let c = try OpusCodec(opus); c.resilient = false; return c }, payloadType: 111, srtp: true, redundancy: true)
        }
    }
    try run("PCMA + SRTP", seconds: seconds, makeCodec: { G711Codec(law: .a) }, payloadType: 8, srtp: true)
    try run("PCMA + SRTP + RFC 2198 redundancy", seconds: seconds, makeCodec: { G711Codec(law: .a) }, payloadType: 8, srtp: true, redundancy: true)
    try run("PCMU (plain RTP)", seconds: seconds, makeCodec: { G711Codec(law: .mu) }, payloadType: 0, srtp: false)
    try runResample(deviceRate: 48000, codecRate: 16000, seconds: seconds)
    try runResample(deviceRate: 48000, codecRate: 8000, seconds: seconds)
    try runResample(deviceRate: 16000, codecRate: 8000, seconds: seconds)
    try reportDelay()
} catch {
    print("MediaBench failed: \(error)")
    exit(1)
}
