// The receive path under a modelled network, offline and deterministic:
// speech is encoded frame by frame, each packet is lost with a probability
// or delayed by DELAY ± JITTER ms (uniform, so packets reorder) from a
// seeded generator, and the stream's own `Playout` (jitter buffer, decode,
// FEC, concealment, delay shedding) plays it on a player clock that may
// run PPM faster or slower than the sender's. The recording is written for
// scoring with PESQ (scripts/impair-bench.sh). Unlike the end-to-end test
// through the Python relay, nothing here depends on the scheduler, so two
// versions of the jitter buffer can be compared on the same packets.
//
// MediaBench impair opus|pcma|pcmu IN.raw OUT.raw [delay jitter loss% seed ppm]
// (raw S16_LE mono at the codec's PCM rate: 16 kHz Opus, 8 kHz G.711).
import NetSupport
import RTPMedia
#if canImport(Glibc)
import Glibc
#endif

func readRaw(_ path: String) -> [Int16] {
    guard let f = fopen(path, "rb") else { return [] }
    defer { fclose(f) }
    var out: [Int16] = []
    var chunk = [Int16](repeating: 0, count: 4096)
    while true {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 2, 4096, f) }
        if n == 0 { break }
        out += chunk[0..<n]
    }
    return out
}

func writeRaw(_ path: String, _ samples: [Int16]) -> Bool {
    guard let f = fopen(path, "wb") else { return false }
    defer { fclose(f) }
    return samples.withUnsafeBytes { fwrite($0.baseAddress, 2, samples.count, f) } == samples.count
}

func impair(_ args: [String]) throws {
    guard args.count >= 3 else {
        print("usage: MediaBench impair opus|pcma|pcmu IN.raw OUT.raw [delay-ms jitter-ms loss-% seed ppm]")
        exit(2)
    }
    let number = { (i: Int, d: Double) in args.count > i ? Double(args[i]) ?? d : d }
    let delay = number(3, 40), jitter = number(4, 20), loss = number(5, 3), ppm = number(7, 0)
    // Delays and losses from separate streams: the same seed gives the same
    // delays whatever the loss, so conditions compare on the same packets.
    let random = RandomSource.seeded(UInt64(number(6, 7)))
    let lossRandom = RandomSource.seeded(UInt64(number(6, 7)) ^ 0x9E37_79B9_7F4A_7C15)
    let makeCodec: () throws -> AudioCodec
    switch args[0] {
    case "opus":
        var s = OpusCodec.Settings()
        s.sampleRate = 16000
        // Encoder variants to compare (the daemon's defaults otherwise).
        if let v = environmentInt("OPUS_BITRATE") { s.bitrate = v }
        if let v = environmentInt("OPUS_LOSS_PERCENT") { s.packetLossPercent = v }
        if let v = environmentInt("OPUS_COMPLEXITY") { s.complexity = v }
        makeCodec = { try OpusCodec(s) }
    case "pcma": makeCodec = { G711Codec(law: .a) }
    default: makeCodec = { G711Codec(law: .mu) }
    }
    let tx = try makeCodec(), rx = try makeCodec()
    // OPUS_LEAN=1: the encoder a clean call settles on (CELT), else the resilient one (SILK + FEC).
    if getenv("OPUS_LEAN").map({ String(cString: $0) }) == "1", let opus = tx as? OpusCodec { opus.resilient = false }
    let input = readRaw(args[1])
    let frame = tx.sampleRate / 50, ticks = UInt32(tx.rtpClockRate / 50)
    // RED=1: each packet also carries the previous frame (RFC 2198), as
    // between two sipendpointd while the far end reports loss.
    let redundancy = getenv("RED").map { String(cString: $0) } == "1"
    // Send: one packet per 20 ms of the sender's clock.
    var arrivals: [(at: Double, index: Int, timestamp: UInt32, payload: [UInt8])] = []
    var payload = [UInt8](repeating: 0, count: 1500)
    var lost = Set<Int>()
    // Every frame as encoded (RED=1): packet k carries frame k - 1 as well.
    var encoded: [[UInt8]] = []
    for k in 0..<(input.count / frame) {
        let n = try input[(k * frame)..<((k + 1) * frame)].withUnsafeBufferPointer { pcm in
            try payload.withUnsafeMutableBytes { try tx.encode(pcm, into: $0) }
        }
        if redundancy { encoded.append(Array(payload[0..<n])) }
        let transit = delay + (random.unit() * 2 - 1) * jitter
        if lossRandom.unit() * 100 < loss {
            lost.insert(k)
            continue
        }
        arrivals.append((Double(k) * 20 + transit, k, UInt32(k) &* ticks &+ 12345, Array(payload[0..<n])))
    }
    arrivals.sort { $0.at < $1.at }
    // Play: a tick every 20 ms of the player's clock, from an arbitrary phase.
    var jitterConfiguration = JitterBuffer.Configuration(clockRate: tx.rtpClockRate, frameMs: 20)
    if let v = environmentInt("JB_START") { jitterConfiguration.startDelayMs = v }
    let playout = Playout(codec: rx, jitter: jitterConfiguration)
    var output: [Int16] = []
    output.reserveCapacity(input.count + frame * 100)
    var out = [Int16](repeating: 0, count: frame)
    var next = 0, tick = 0, copiesUsed = 0
    var received = Set<Int>()
    var outcomes: [Playout.Outcome: Int] = [:]
    var buffered: [Int] = []
    let end = (arrivals.last?.at ?? 0) + 120
    while true {
        let now = 7 + Double(tick) * 20 * (1 + ppm / 1e6)
        if now > end { break }
        while next < arrivals.count, arrivals[next].at <= now {
            let a = arrivals[next]
            // The copy of the frame before, when its own packet has not come (dated as MediaStream does: one frame earlier).
            if redundancy, a.index > 0, !received.contains(a.index - 1) {
                let previous = a.index - 1
                received.insert(previous)
                if lost.contains(previous) { copiesUsed += 1 } // else reordered: its original comes later
                encoded[previous].withUnsafeBytes { playout.insert(timestamp: a.timestamp &- ticks, payload: $0, arrivalMicros: Int64((a.at - 20) * 1000)) }
            }
            if received.insert(a.index).inserted {
                a.payload.withUnsafeBytes { playout.insert(timestamp: a.timestamp, payload: $0, arrivalMicros: Int64(a.at * 1000)) }
            }
            next += 1
        }
        let o = out.withUnsafeMutableBufferPointer { playout.play(into: $0, nowMicros: Int64(now * 1000), noiseLevel: 127) }
        outcomes[o, default: 0] += 1
        buffered.append(playout.jitter.bufferedMs)
        output += out
        tick += 1
    }
    guard writeRaw(args[2], output) else { throw MediaBenchError(reason: "cannot write \(args[2])") }
    let j = playout.jitter
    let meanBuffered = Double(buffered.reduce(0, +)) / Double(max(1, buffered.count))
    print("impair \(args[0]): \(fixed(delay, 0)) ± \(fixed(jitter, 0)) ms, \(fixed(loss, 1)) % loss (\(lost.count) packets), \(fixed(ppm, 0)) ppm: "
          + "played \(outcomes[.played] ?? 0), recovered from the next packet \(outcomes[.recovered] ?? 0), concealed \(outcomes[.concealed] ?? 0), "
          + (redundancy ? "lost and played from a redundant copy \(copiesUsed), " : "") + "late \(j.late), dropped for delay \(j.droppedForDelay), underruns \(j.underruns), resynchronised \(j.resynchronised); "
          + "buffered mean \(fixed(meanBuffered, 1)) ms, max \(buffered.max() ?? 0) ms")
}

struct MediaBenchError: Error { var reason: String }

/// An integer from the environment (the benchmarks' encoder knobs).
func environmentInt(_ name: String) -> Int? { getenv(name).flatMap { Int(String(cString: $0)) } }
