// The endpoint's own added delay on a clean network: two MediaStreams on
// loopback, driven period by period as the audio thread drives them; a
// click put into A's captured frame is looked for in B's played frames.
// Measured: frame handed to the stream → frame handed to the device
// (packetization, RTP/SRTP, loopback, jitter buffer, decode). The device
// side is added from the ALSA settings: the capture period (a sample waits
// up to one period before it is read) and the playback queue (the period
// written plus the one playing).
import Dispatch
import NetSupport
import RTPMedia
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `phaseMs`: how long after A's period B's runs (the two ends' audio
/// clocks are not aligned: a packet waits for the receiver's next frame).
func measureDelay(codec: StreamParameters.Codec, payloadType: UInt8, srtp: Bool, phaseMs: Int = 0, clicks: Int = 10) throws -> (pipeline: [Int], jitterBuffer: [Int]) {
    let q = DispatchQueue(label: "delay-bench")
    let loopback = SocketAddress(ip: "127.0.0.1", port: 0)!
    let a = try MediaStream(address: loopback, ports: 50000...59999, queue: q)
    let b = try MediaStream(address: loopback, ports: 50000...59999, queue: q)
    defer { a.close(); b.close() }
    let k1 = (0..<30).map { UInt8($0) }, k2 = (0..<30).map { UInt8(200 - $0) }
    try a.apply(StreamParameters(remote: b.localRTP, remoteRTCP: b.localRTCP, rtcpMux: false, codec: codec, payloadType: payloadType,
                                 srtp: srtp ? (.aesCM128HmacSha1_80, k1, k2) : nil))
    try b.apply(StreamParameters(remote: a.localRTP, remoteRTCP: a.localRTCP, rtcpMux: false, codec: codec, payloadType: payloadType,
                                 srtp: srtp ? (.aesCM128HmacSha1_80, k2, k1) : nil))
    let frame = a.pcmRate! / 50
    var mic = [Int16](repeating: 0, count: frame), quiet = [Int16](repeating: 0, count: frame)
    var heard = [Int16](repeating: 0, count: frame), ignored = [Int16](repeating: 0, count: frame)
    var pipeline: [Int] = [], buffer: [Int] = []
    var clickAt: UInt64?
    let start = DispatchTime.now().uptimeNanoseconds
    for tick in 0..<(100 + clicks * 25) {
        // A 400 Hz burst of one period every 25 periods, after 2 s of quiet for the buffers to settle.
        let click = tick >= 100 && (tick - 100) % 25 == 0
        for i in 0..<frame { mic[i] = click ? Int16(12000 * sin(Double(i) * 2 * Double.pi * 400 / Double(frame * 50))) : 0 }
        let tickStart = start + UInt64(tick) * 20_000_000
        if click { clickAt = tickStart }
        mic.withUnsafeBufferPointer { m in ignored.withUnsafeMutableBufferPointer { a.audioPeriod(captured: m, playback: $0) } }
        // B's period comes phaseMs after A's (its own audio clock).
        let bDue = tickStart + UInt64(phaseMs) * 1_000_000, beforeB = DispatchTime.now().uptimeNanoseconds
        if bDue > beforeB { usleep(useconds_t((bDue - beforeB) / 1000)) }
        quiet.withUnsafeBufferPointer { m in heard.withUnsafeMutableBufferPointer { b.audioPeriod(captured: m, playback: $0) } }
        if let at = clickAt, heard.contains(where: { abs(Int($0)) > 3000 }) {
            // From A's frame handed over to B's frame played, on the schedule (not the jitter of usleep).
            pipeline.append(Int((bDue - at) / 1_000_000))
            buffer.append(b.statistics().jitterBufferMs)
            clickAt = nil
        }
        // Periods keep real time (packets cross the loopback meanwhile).
        let due = start + UInt64(tick + 1) * 20_000_000
        let now = DispatchTime.now().uptimeNanoseconds
        if due > now { usleep(useconds_t((due - now) / 1000)) }
    }
    _ = quiet
    return (pipeline, buffer)
}

/// Prints the endpoint's added delay for Opus and G.711 with SRTP
/// (`MediaBench delay`, also the last part of a full run).
func reportDelay() throws {
    // Device side, from the ALSA settings (ALSADevice): a captured frame is
    // complete when its last period is read (the 20 ms frame either way);
    // the playback queue holds the period just written behind the one
    // playing (one to two periods: 20–40 ms, or 10–20 ms with 10 ms periods).
    for (name, codec, pt) in [("Opus + SRTP", StreamParameters.Codec.opus(fmtp: "useinbandfec=1"), UInt8(111)), ("PCMA + SRTP", .pcma, 8)] {
        // The receiver's frame clock at 0, 5, 10, 15 ms after the sender's: a real
        // call has one such phase, unknown; 0 is the worst (the packet just missed a frame).
        var all: [Int] = [], buffers: [Int] = [], perPhase: [String] = []
        for phase in [0, 5, 10, 15] {
            let (pipeline, buffer) = try measureDelay(codec: codec, payloadType: pt, srtp: true, phaseMs: phase)
            guard !pipeline.isEmpty else { print("\(name): the click was never heard (phase \(phase) ms)"); continue }
            all += pipeline
            buffers += buffer
            perPhase.append("\(phase) ms: \(pipeline.min()!)–\(pipeline.max()!)")
        }
        guard !all.isEmpty else { continue }
        let mean = Double(all.reduce(0, +)) / Double(all.count), worst = Double(all.max()!), best = Double(all.min()!)
        print("\(name) delay, clean network: captured frame to played frame by receiver phase \(perPhase.joined(separator: ", ")) ms "
              + "(mean \(fixed(mean, 1)); jitter buffer holding \(buffers.min()!)–\(buffers.max()!) ms)")
        // The playback queue holds the period written behind the one playing: one to two periods.
        for period in [20, 10] {
            let when = period == 10 ? "the default where the audio thread runs real-time" : "the default without real-time scheduling"
            print("  with \(period) ms device periods (\(when); sipendpoint.media.audio-period): added by the endpoint beyond the 20 ms codec frame "
                  + "mean \(fixed(mean + 1.5 * Double(period), 0)) ms, \(fixed(best + Double(period), 0))–\(fixed(worst + Double(2 * period), 0)) ms; "
                  + "mouth to ear incl. the frame: mean \(fixed(mean + 1.5 * Double(period) + 20, 0)) ms")
        }
    }
}
