import Testing
@testable import SIPCore

/// Mutation fuzzing of the SDP parser, serializer, typed views and the
/// negotiator: nothing may crash, whatever parses must round-trip, and a
/// refusal is always an `SDPError` with a SIP status.
@Suite struct SDPFuzzTests {
    static let iterations = 100_000

    static let seeds: [[UInt8]] = [
        Array(SDPParserTests.genesysOffer.utf8),
        Array("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32\r\na=crypto:2 AEAD_AES_256_GCM inline:CczVwWqfaoJw5Kzcz+hhNRc6EfvTbxq5vfcRxo8OeZuA12WW9HwfnS8SxY8=\r\na=rtcp:4001 IN IP4 10.0.0.1\r\na=rtcp-mux\r\na=sendonly\r\n".utf8),
    ]

    static let specials: [[UInt8]] = ["\r\n", "\n", "m=audio 0 RTP/AVP 0\r\n", "a=rtpmap:96 opus/48000/2\r\n", "c=IN IP6 ::\r\n", ":", "/", " ", "=", "\0", "\u{FF}",
                                      "99999999999999999999", "-1", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:", "a=inactive\r\n", "a=fmtp:96 \r\n"].map { Array($0.utf8) }

    @Test func parserAndNegotiatorSurviveMutations() async throws {
        let (failures, parsed, answered) = try await offPoolThrowing { Self.run() }
        #expect(failures.isEmpty, "round trip failed for mutations \(failures.prefix(10))")
        #expect(parsed > Self.iterations / 20)
        #expect(answered > Self.iterations / 100)
    }

    static func run() -> ([Int], Int, Int) {
        let rng = RandomSource.seeded(0x5D9)
        let local = SDPNegotiatorTests.local
        let negotiators = [SRTPPolicy.disabled, .optional, .mandatory].map {
            SDPNegotiator(capabilities: MediaCapabilities(codecs: [SDPNegotiatorTests.opus, SDPNegotiatorTests.pcma, SDPNegotiatorTests.pcmu], srtp: $0))
        }
        var failures: [Int] = [], parsed = 0, answered = 0
        for n in 0..<iterations {
            var b = seeds[n % seeds.count]
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let pos = b.isEmpty ? 0 : Int(rng.next() % UInt64(b.count))
                switch rng.next() % 6 {
                case 0: if !b.isEmpty { b[pos] = UInt8(truncatingIfNeeded: rng.next()) }
                case 1: b.insert(contentsOf: specials[Int(rng.next() % UInt64(specials.count))], at: pos)
                case 2: if !b.isEmpty { b.removeSubrange(pos..<min(b.count, pos + 1 + Int(rng.next() % 16))) }
                case 3: if !b.isEmpty { let end = min(b.count, pos + 1 + Int(rng.next() % 40)); b.insert(contentsOf: b[pos..<end], at: pos) }
                case 4: b = Array(b.prefix(pos))
                default: if !b.isEmpty { b[pos] ^= 1 << UInt8(rng.next() % 8) }
                }
            }
            guard let sd = try? SessionDescription(parsing: String(decoding: b, as: UTF8.self)) else { continue }
            parsed += 1
            if (try? SessionDescription(parsing: sd.serialized)) != sd {
                if failures.count < 3 { print("SDP round trip failed:\n\(sd.serialized)\n---\n\((try? SessionDescription(parsing: sd.serialized))?.serialized ?? "does not parse")") }
                failures.append(n)
            }
            for m in sd.media { _ = (m.payloadTypes, m.cryptos, m.rtcp, m.direction(), m.ptime) }
            do {
                let (answer, _) = try negotiators[n % 3].answer(sd, local: local, origin: SDPNegotiatorTests.origin)
                answered += 1
                if (try? SessionDescription(parsing: answer.serialized)) != answer { failures.append(n) }
                _ = try? negotiators[n % 3].accept(answer: sd, to: negotiators[n % 3].offer(local: local, origin: SDPNegotiatorTests.origin), local: local)
            } catch {
                if error.sipStatus != 488 && error.sipStatus != 400 { failures.append(n) }
            }
        }
        return (failures, parsed, answered)
    }
}

/// RFC 4568 `a=crypto` values mutated 100,000 times: each parses into a
/// crypto line with the right key length, or is refused with an SDPError.
@Suite struct SDESCryptoFuzzTests {
    @Test func mutatedCryptoAttributesNeverCrash() {
        let seeds = ["1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32",
                     "2 AEAD_AES_256_GCM inline:CczVwWqfaoJw5Kzcz+hhNRc6EfvTbxq5vfcRxo8OeZuA12WW9HwfnS8SxY8= KDR=1",
                     "3 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj;inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"].map { Array($0.utf8) }
        let alphabet = Array("0123456789:|^;=+/ inlineAES_CMHMACSHA1_80GCM\u{0}\u{7f}é".utf8)
        var state: UInt64 = 0xabc_def
        func next() -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) }
        var accepted = 0
        for i in 0..<100_000 {
            var b = seeds[i % seeds.count]
            for _ in 0...(next() % 3) {
                switch next() % 4 {
                case 0: if !b.isEmpty { b[next() % b.count] = alphabet[next() % alphabet.count] }
                case 1: if !b.isEmpty { b.remove(at: next() % b.count) }
                case 2: b.insert(alphabet[next() % alphabet.count], at: next() % (b.count + 1))
                default: b = Array(b.prefix(next() % (b.count + 1)))
                }
            }
            if let c = try? SDESCrypto(parsing: String(decoding: b, as: UTF8.self)) {
                accepted += 1
                if let suite = c.suite { #expect(c.keyMaterial.count == suite.keyMaterialLength) }
            }
        }
        #expect(accepted > 100)
    }
}
