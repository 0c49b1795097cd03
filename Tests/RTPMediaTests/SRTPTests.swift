import Testing
@testable import RTPMedia

/// SRTP through libsrtp2, against libsrtp's own reference packet (default
/// policy AES_CM_128_HMAC_SHA1_80, SSRC 0xcafebabe), and round trips for
/// every suite with tampering and replay refused.
@Suite struct SRTPTests {
    static let key: [UInt8] = [0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39,
                               0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6]
    static let plain: [UInt8] = [0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe] + [UInt8](repeating: 0xab, count: 16)
    static let cipher: [UInt8] = [0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe,
                                  0x4e, 0x55, 0xdc, 0x4c, 0xe7, 0x99, 0x78, 0xd8, 0x8c, 0xa4, 0xd2, 0x15, 0x94, 0x9d, 0x24, 0x02,
                                  0xb7, 0x8d, 0x6a, 0xcc, 0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb]

    @Test(arguments: [SRTPSuite.aesCM128HmacSha1_80, .aesCM128HmacSha1_32])
    func referencePacket(_ suite: SRTPSuite) throws {
        let out = try SRTPSession(suite: suite, key: Self.key, inbound: false)
        var buf = Self.plain + [UInt8](repeating: 0, count: 32)
        let n = try buf.withUnsafeMutableBytes { try out.protect($0, length: Self.plain.count) }
        // The 32-bit tag is the first 4 bytes of the 80-bit one.
        let expected = suite == .aesCM128HmacSha1_80 ? Self.cipher : Array(Self.cipher.prefix(32))
        #expect(Array(buf[0..<n]) == expected)
        let inbound = try SRTPSession(suite: suite, key: Self.key, inbound: true)
        let m = try buf.withUnsafeMutableBytes { try inbound.unprotect($0, length: n) }
        #expect(Array(buf[0..<m]) == Self.plain)
    }

    /// AEAD_AES_128_GCM (RFC 7714) against libsrtp's GCM reference packet
    /// (key 00..0f, salt a0..ab, SSRC 0xcafebabe, 16-byte tag).
    @Test func gcmReferencePacket() throws {
        let key: [UInt8] = Array(0x00...0x0f) + Array(0xa0...0xab)
        let cipher: [UInt8] = [0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe,
                               0xc5, 0x00, 0x2e, 0xde, 0x04, 0xcf, 0xdd, 0x2e, 0xb9, 0x11, 0x59, 0xe0, 0x88, 0x0a, 0xa0, 0x6e,
                               0xd2, 0x97, 0x68, 0x26, 0xf7, 0x96, 0xb2, 0x01, 0xdf, 0x31, 0x31, 0xa1, 0x27, 0xe8, 0xa3, 0x92]
        let out = try SRTPSession(suite: .aeadAES128GCM, key: key, inbound: false)
        var buf = Self.plain + [UInt8](repeating: 0, count: 32)
        let n = try buf.withUnsafeMutableBytes { try out.protect($0, length: Self.plain.count) }
        #expect(Array(buf[0..<n]) == cipher)
        var back = cipher + [UInt8](repeating: 0, count: 8)
        let inbound = try SRTPSession(suite: .aeadAES128GCM, key: key, inbound: true)
        let m = try back.withUnsafeMutableBytes { try inbound.unprotect($0, length: cipher.count) }
        #expect(Array(back[0..<m]) == Self.plain)
    }

    @Test(arguments: SRTPSuite.allCases)
    func roundTripTamperAndReplay(_ suite: SRTPSuite) throws {
        let key = (0..<suite.keyLength).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }
        let tx = try SRTPSession(suite: suite, key: key, inbound: false), rx = try SRTPSession(suite: suite, key: key, inbound: true)
        var buf = Self.plain + [UInt8](repeating: 0, count: 32)
        let n = try buf.withUnsafeMutableBytes { try tx.protect($0, length: Self.plain.count) }
        #expect(n == Self.plain.count + suite.rtpOverhead)
        var replay = buf, tampered = buf
        #expect(try buf.withUnsafeMutableBytes { try rx.unprotect($0, length: n) } == Self.plain.count)
        #expect(Array(buf.prefix(Self.plain.count)) == Self.plain)
        #expect(throws: MediaError.self) { try replay.withUnsafeMutableBytes { try rx.unprotect($0, length: n) } }
        #expect(rx.replays == 1)
        tampered[3] ^= 0x01 // another sequence number, same tag
        tampered[20] ^= 0x40
        #expect(throws: MediaError.self) { try tampered.withUnsafeMutableBytes { try rx.unprotect($0, length: n) } }
        #expect(rx.authenticationFailures == 1)
        // SRTCP both ways.
        var rtcp: [UInt8] = []
        RTCPPacket.receiverReport(ssrc: 0xcafebabe, reports: []).write(to: &rtcp)
        let plainRTCP = rtcp
        rtcp += [UInt8](repeating: 0, count: 32)
        let r = try rtcp.withUnsafeMutableBytes { try tx.protectRTCP($0, length: plainRTCP.count) }
        #expect(try rtcp.withUnsafeMutableBytes { try rx.unprotectRTCP($0, length: r) } == plainRTCP.count)
        #expect(Array(rtcp.prefix(plainRTCP.count)) == plainRTCP)
    }

    @Test func wrongKeyLengthIsRefused() {
        #expect(throws: MediaError.self) { try SRTPSession(suite: .aeadAES256GCM, key: Self.key, inbound: true) }
    }
}

@Suite struct OpusTests {
    /// The adaptive encoder: SILK with FEC (resilient) until told the network
    /// is clean, CELT (lean) then, SILK again on loss — the TOC byte says
    /// which (RFC 6716 §3.1: configurations 0–11 SILK, 16–31 CELT) — and
    /// the tone decodes at its level across both switches.
    @Test func adaptiveEncoderSwitchesBetweenSILKAndCELT() throws {
        var s = OpusCodec.Settings()
        s.sampleRate = 16000
        let tx = try OpusCodec(s), rx = try OpusCodec(s)
        var pcm = [Int16](repeating: 0, count: 320), out = [Int16](repeating: 0, count: 960)
        var phase = 0.0
        var configs: [UInt8] = [], levels: [Double] = []
        for k in 0..<60 {
            if k == 20 { tx.resilient = false }
            if k == 40 { tx.resilient = true }
            for i in 0..<320 { pcm[i] = Int16(8000 * Signal.sine(phase)); phase += 2 * .pi * 440 / 16000; _ = i }
            var p = [UInt8](repeating: 0, count: 400)
            let n = try pcm.withUnsafeBufferPointer { a in try p.withUnsafeMutableBytes { try tx.encode(a, into: $0) } }
            configs.append(p[0] >> 3)
            let m = try p[0..<n].withUnsafeBytes { b in try out.withUnsafeMutableBufferPointer { try rx.decode(b, into: $0) } }
            #expect(m == 320)
            if k % 20 >= 3 { levels.append(Signal.rms(Array(out[0..<320]))) }
        }
        #expect(configs[3..<20].allSatisfy { $0 < 12 }, "resilient should be SILK: \(configs)")
        #expect(configs[22..<40].allSatisfy { $0 >= 16 }, "lean should be CELT: \(configs)")
        #expect(configs[43..<60].allSatisfy { $0 < 12 }, "back to SILK: \(configs)")
        #expect(levels.allSatisfy { $0 > 3000 && $0 < 8000 }, "\(levels)")
        var fixed = OpusCodec.Settings()
        fixed.adaptive = false
        let always = try OpusCodec(fixed)
        always.resilient = false // no lean encoder: stays SILK
        var p = [UInt8](repeating: 0, count: 400)
        let zeros = [Int16](repeating: 0, count: 960)
        _ = try zeros.withUnsafeBufferPointer { a in try p.withUnsafeMutableBytes { try always.encode(a, into: $0) } }
        #expect(p[0] >> 3 < 16) // SILK or hybrid: never CELT-only
    }

    /// A 440 Hz tone survives encode/decode; a lost frame is recovered from the next packet's FEC.
    @Test func encodeDecodeAndFEC() throws {
        var s = OpusCodec.Settings()
        s.apply(fmtp: "useinbandfec=1; maxaveragebitrate=24000; usedtx=0")
        #expect(s.inbandFEC && s.bitrate == 24000 && !s.dtx)
        let tx = try OpusCodec(s), rx = try OpusCodec(s)
        var pcm = [Int16](repeating: 0, count: 960), out = [Int16](repeating: 0, count: 960)
        var payloads: [[UInt8]] = []
        var phase = 0.0
        for _ in 0..<25 {
            for i in 0..<960 { pcm[i] = Int16(8000 * Signal.sine(phase)); phase += 2 * .pi * 440 / 48000; _ = i }
            var p = [UInt8](repeating: 0, count: 400)
            let n = try pcm.withUnsafeBufferPointer { a in try p.withUnsafeMutableBytes { try tx.encode(a, into: $0) } }
            #expect(n > 10 && n < 400)
            payloads.append(Array(p[0..<n]))
        }
        var energies: [Double] = []
        for (k, p) in payloads.enumerated() {
            if k == 20 { continue } // lost
            if k == 21 {
                out.withUnsafeMutableBufferPointer { o in p.withUnsafeBytes { rx.recover(from: $0, into: o) } }
                energies.append(Signal.rms(out))
            }
            let n = try p.withUnsafeBytes { b in try out.withUnsafeMutableBufferPointer { try rx.decode(b, into: $0) } }
            #expect(n == 960)
            if k >= 10 { energies.append(Signal.rms(out)) }
        }
        // Decoded (and FEC-recovered) frames carry the tone at about its level (8000/√2 ≈ 5657).
        #expect(energies.allSatisfy { $0 > 3000 && $0 < 8000 }, "\(energies)")
        let bad: [UInt8] = [0xFF, 0xFF, 0xFF]
        #expect(throws: MediaError.self) { try bad.withUnsafeBytes { b in try out.withUnsafeMutableBufferPointer { try rx.decode(b, into: $0) } } }
    }

}
