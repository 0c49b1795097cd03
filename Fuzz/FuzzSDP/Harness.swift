// libFuzzer target: an SDP offer or answer from the far end — parse, the
// per-stream attributes, RFC 3264 answering under each SRTP policy, and
// accepting it as an answer to our own offer; whatever parses must
// serialize and parse again to the same description. Built by scripts/fuzz.sh.
import SIPCore

nonisolated(unsafe) let keys: [SDESCrypto.Suite: [UInt8]] = Dictionary(uniqueKeysWithValues: SDESCrypto.Suite.allCases.map { s in
    (s, (0..<s.keyMaterialLength).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) })
})
nonisolated(unsafe) let local = LocalMediaEndpoint(address: SDPAddress(.ipv4, "127.0.0.1"), rtpPort: 20000, keys: keys)
nonisolated(unsafe) let origin = SessionDescription.Origin(username: "sipendpointd", sessionID: 42, sessionVersion: 1, address: SDPAddress(.ipv4, "127.0.0.1"))
nonisolated(unsafe) let negotiators = [SRTPPolicy.disabled, .optional, .mandatory].map {
    SDPNegotiator(capabilities: MediaCapabilities(codecs: [RTPMap(payloadType: 0, encoding: "opus", clockRate: 48000, channels: 2),
                                                           RTPMap(payloadType: 8, encoding: "PCMA", clockRate: 8000),
                                                           RTPMap(payloadType: 0, encoding: "PCMU", clockRate: 8000)],
                                                  fmtp: ["opus/48000/2": "useinbandfec=1"], srtp: $0))
}

func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard let sd = try? SessionDescription(parsing: String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)) else { return 0 }
    guard (try? SessionDescription(parsing: sd.serialized)) == sd else { fatalError("a parsed SDP does not survive serialize + parse") }
    for m in sd.media { _ = (m.payloadTypes, m.cryptos, m.rtcp, m.direction(), m.ptime) }
    let negotiator = negotiators[size % 3]
    if let (answer, _) = try? negotiator.answer(sd, local: local, origin: origin) {
        guard (try? SessionDescription(parsing: answer.serialized)) == answer else { fatalError("our answer does not parse back") }
    }
    _ = try? negotiator.accept(answer: sd, to: negotiator.offer(local: local, origin: origin), local: local)
    return 0
}
