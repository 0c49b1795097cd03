// libFuzzer target: a SIP message from the network, as the transaction,
// dialog and authentication layers read it — parse, validate, the keys
// (held to the typed headers), the typed headers, the transaction keys,
// digest challenges, the UAS core's checks, the stream framer — and
// whatever parses must serialize and parse again to the same message.
// Built by scripts/fuzz.sh.
@testable import SIPCore

func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let m = try? SIPMessage.parse(bytes) {
        _ = try? m.validate()
        // The keys say what the typed values say (the values are read by
        // the full grammar where the keys took the one-pass forms).
        if let k = try? m.keys() {
            guard let vias = try? m.vias, let from = m.from, let to = m.to, let cseq = try? m.cseq,
                  k.viaCount == vias.count, k.topVia.branch.map(m.text) == vias[0].branch, k.topVia.port == vias[0].port,
                  k.from.tag.map(m.text) == from.tag, k.to.tag.map(m.text) == to.tag, k.cseq.number == cseq.number, m.text(k.cseq.method) == cseq.method.rawValue,
                  m.text(k.callID) == m.callID, k.contactCount == m.contacts.count, k.expires == m.expires else {
                fatalError("the keys and the typed values disagree")
            }
            _ = TransactionKey.client(for: m)
        }
        _ = try? m.vias
        _ = (m.topVia, m.contacts, m.from, m.to, m.expires, m.maxForwards, m.retryAfter, m.callID)
        // Received URIs are made into components when read: read them.
        _ = (m.from?.uri.description, m.to?.uri.host, m.contacts.map { $0.address?.uri.description }, m.from?.uri.hashValue)
        _ = try? m.cseq
        _ = m.optionTags(.supported)
        _ = TransactionKey.server(for: m)
        _ = DigestChallenge.best(in: m.headers.lines(.wwwAuthenticate))
        if m.isRequest { _ = UASCore.respond(to: m, capabilities: UASCapabilities(), toTag: "t") }
        // Headers the call layer reads from an INVITE or REFER.
        for v in m.headers.values(SIPHeaderName("Replaces")) { _ = Replaces(v) }
        // Serializing writes full header names and always a Content-Length:
        // a message at the field limit without one (found by the fuzzer:
        // 256 fields) is one field, and compact forms some bytes, longer.
        let roomy = SIPParserLimits(maxMessageSize: 4 * SIPParserLimits.default.maxMessageSize,
                                    maxHeaderFields: SIPParserLimits.default.maxHeaderFields + 1)
        guard let again = try? SIPMessage.parse(m.serialize(), limits: roomy), again == m else {
            fatalError("a parsed message does not survive serialize + parse")
        }
    }
    // The same bytes as a TCP stream, in two pieces.
    var framer = SIPStreamFramer(limits: SIPParserLimits(maxMessageSize: 8192))
    framer.append(bytes.prefix(size / 2))
    framer.append(bytes.dropFirst(size / 2))
    for _ in 0..<64 { guard (try? framer.next()) != nil else { break } }
    return 0
}
