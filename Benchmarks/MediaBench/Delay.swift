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

func measureDelay(codec: StreamParameters.Codec, payloadType: UInt8, srtp: Bool, clicks: Int = 10) throws -> (pipeline: [Int], jitterBuffer: [Int]) {
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
    var clickAt: Int?
    let start = DispatchTime.now().uptimeNanoseconds
    for tick in 0..<(100 + clicks * 25) {
        // A 400 Hz burst of one period every 25 periods, after 2 s of quiet for the buffers to settle.
        let click = tick >= 100 && (tick - 100) % 25 == 0
        for i in 0..<frame { mic[i] = click ? Int16(12000 * sin(Double(i) * 2 * Double.pi * 400 / Double(frame * 50))) : 0 }
        if click { clickAt = tick }
        mic.withUnsafeBufferPointer { m in ignored.withUnsafeMutableBufferPointer { a.audioPeriod(captured: m, playback: $0) } }
        quiet.withUnsafeBufferPointer { m in heard.withUnsafeMutableBufferPointer { b.audioPeriod(captured: m, playback: $0) } }
        if let at = clickAt, heard.contains(where: { abs(Int($0)) > 3000 }) {
            pipeline.append((tick - at) * 20)
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
        let (pipeline, buffer) = try measureDelay(codec: codec, payloadType: pt, srtp: true)
        guard !pipeline.isEmpty else { print("\(name): the click was never heard"); continue }
        let mean = Double(pipeline.reduce(0, +)) / Double(pipeline.count)
        print("\(name) delay, clean network: captured frame to played frame \(pipeline.min()!)–\(pipeline.max()!) ms (mean \(fixed(mean, 1)); "
              + "jitter buffer holding \(buffer.min()!)–\(buffer.max()!) ms)")
        // The playback queue holds the period written behind the one playing: one to two periods.
        for period in [20, 10] {
            print("  with \(period) ms device periods (sipendpoint.media.audio-period): added by the endpoint beyond the 20 ms codec frame "
                  + "\(fixed(mean + Double(period), 0))–\(fixed(mean + Double(2 * period), 0)) ms; mouth to ear incl. the frame: "
                  + "\(fixed(mean + Double(period) + 20, 0))–\(fixed(mean + Double(2 * period) + 20, 0)) ms")
        }
    }
}
