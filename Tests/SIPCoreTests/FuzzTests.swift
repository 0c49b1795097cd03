import Testing
import TortureCorpus
@testable import SIPCore

/// Mutation fuzzing of the parser, typed headers, serializer and stream
/// framer: nothing may crash or hang, and whatever parses must round-trip.
@Suite struct FuzzTests {
    static let iterations = 100_000

    static func seeds() -> [[UInt8]] {
        var s: [[UInt8]] = [Array(registerText.utf8)]
        s.append(Array("SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;rport=5060;received=10.0.0.1;branch=z9hG4bK.1\r\nFrom: <sip:7001@example.com>;tag=a\r\nTo: <sip:7001@example.com>;tag=b\r\nCall-ID: c1\r\nCSeq: 1 REGISTER\r\nWWW-Authenticate: Digest realm=\"example.com\", nonce=\"abc\", qop=\"auth\"\r\nContent-Length: 0\r\n\r\n".utf8))
        if TortureCorpus.directory != nil {
            for c in TortureCorpus.cases.prefix(20) { if let b = try? TortureCorpus.bytes(c) { s.append(b) } }
        }
        return s
    }

    static let specials: [[UInt8]] = [":", ";", ",", "\r\n", "\r\n ", "%", "%4", "<", ">", "\"", "\\", "[", "]", "=", "@", " ", "\0", "\u{FF}", "99999999999999999999", "-1", "SIP/2.0", "\r\n\r\n", "Content-Length: 5\r\n", "l: 7\r\n", "v: SIP/2.0/UDP [::1;branch=z9hG4bK"].map { Array($0.utf8) }

    static func mutate(_ input: [UInt8], _ rng: RandomSource) -> [UInt8] {
        var b = input
        for _ in 0..<(1 + Int(rng.next() % 4)) {
            let pos = b.isEmpty ? 0 : Int(rng.next() % UInt64(b.count))
            switch rng.next() % 7 {
            case 0: if !b.isEmpty { b[pos] = UInt8(truncatingIfNeeded: rng.next()) }
            case 1: b.insert(UInt8(truncatingIfNeeded: rng.next()), at: pos)
            case 2: if !b.isEmpty { b.removeSubrange(pos..<min(b.count, pos + 1 + Int(rng.next() % 16))) }
            case 3: if !b.isEmpty { let end = min(b.count, pos + 1 + Int(rng.next() % 32)); b.insert(contentsOf: b[pos..<end], at: pos) }
            case 4: b.insert(contentsOf: specials[Int(rng.next() % UInt64(specials.count))], at: pos)
            case 5: b = Array(b.prefix(pos))
            default: if !b.isEmpty { b[pos] ^= 1 << UInt8(rng.next() % 8) }
            }
        }
        return b
    }

    @Test func parserSurvivesMutations() async throws {
        // CPU-bound for seconds: run it off the cooperative pool so the
        // integration tests' awaits are not starved meanwhile.
        let (roundTripFailures, parsed) = try await offPoolThrowing { try Self.parserMutations() }
        #expect(roundTripFailures.isEmpty, "round trip failed for mutations \(roundTripFailures.prefix(10))")
        // The mutations must exercise the accepting paths too, not only errors.
        #expect(parsed > Self.iterations / 20)
    }

    /// Returns the mutations that did not round-trip, and how many parsed.
    static func parserMutations() throws -> ([Int], Int) {
        var failures: [Int] = []
        let seeds = Self.seeds()
        let rng = RandomSource.seeded(0x5EED)
        var parsed = 0
        for n in 0..<Self.iterations {
            let input = Self.mutate(seeds[n % seeds.count], rng)
            guard let m = try? SIPMessage.parse(input) else { continue }
            parsed += 1
            _ = try? m.validate()
            _ = try? m.vias
            _ = m.contacts
            _ = m.from
            _ = m.to
            _ = try? m.cseq
            _ = TransactionKey.server(for: m)
            _ = DigestChallenge.best(in: m.headers.lines(.wwwAuthenticate))
            if m.isRequest { _ = UASCore.respond(to: m, capabilities: UASCapabilities(), toTag: "t") }
            let again = try SIPMessage.parse(m.serialize())
            if again != m { failures.append(n) }
        }
        return (failures, parsed)
    }

    @Test func framerSurvivesMutatedStreams() async {
        let most = try? await offPoolThrowing { Self.framerMutations() }
        #expect((most ?? 1000) < 1000)
    }

    /// Returns the most frames any one stream produced.
    static func framerMutations() -> Int {
        var most = 0
        let seeds = Self.seeds()
        let rng = RandomSource.seeded(0xF4A3E)
        for n in 0..<10_000 {
            var f = SIPStreamFramer(limits: SIPParserLimits(maxMessageSize: 8192))
            var stream = Self.mutate(seeds[n % seeds.count], rng) + Self.mutate(seeds[(n + 1) % seeds.count], rng)
            var frames = 0
            feeding: while !stream.isEmpty {
                let chunk = 1 + Int(rng.next() % 200)
                f.append(stream.prefix(chunk))
                stream.removeFirst(min(chunk, stream.count))
                // Each frame consumes bytes, so this ends; the bound guards regressions.
                for _ in 0..<100 {
                    do {
                        guard try f.next() != nil else { break }
                        frames += 1
                    } catch {
                        break feeding
                    }
                }
            }
            most = max(most, frames)
        }
        return most
    }
}

/// Runs blocking or CPU-heavy work on a global queue, off the test pool.
func offPoolThrowing<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    let result: Result<T, Error> = await withCheckedContinuation { c in
        DispatchQueue.global().async { c.resume(returning: Result { try work() }) }
    }
    return try result.get()
}

import Dispatch
