// Parse-throughput benchmark: `swift run -c release SIPParseBench [SECONDS [FILTER]]`,
// or `bash scripts/parse-bench.sh` for the same runs beside sofia-sip.
// Reports messages/second for a typical REGISTER and its 200 OK, parsed
// with datagram framing (SIPMessage.parse) and then with the per-message
// work the transaction and dialog layers do: Via (count, top branch,
// sent-by), From/To with their tags, Call-ID, CSeq, Contact and Expires,
// and validation — read as the typed values (`parse+typed`) and as the
// keys the layers match by (`parse+keys`, SIPMessage.keys()).
// `SIPParseBench --dump DIR` writes the two messages for the comparison.
import SIPCore
#if canImport(Glibc)
import Glibc
#endif

let register = Array((
    "REGISTER sip:sip.example.com SIP/2.0\r\n" +
    "Via: SIP/2.0/UDP 192.0.2.10:5060;rport;branch=z9hG4bK.4f3a9c2e1b7d\r\n" +
    "Max-Forwards: 70\r\n" +
    "From: <sip:7001@sip.example.com>;tag=8d1f2a9c\r\n" +
    "To: <sip:7001@sip.example.com>\r\n" +
    "Call-ID: 5b9e2f64-3c1d-4a8e-9f0b-7d2c6e1a3b45\r\n" +
    "CSeq: 2 REGISTER\r\n" +
    "Contact: <sip:7001@192.0.2.10:5060;transport=udp>;+sip.instance=\"<urn:uuid:1b4f0c7e-2d3a-4e5f-8a9b-0c1d2e3f4a5b>\"\r\n" +
    "Expires: 3600\r\n" +
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, NOTIFY, REFER\r\n" +
    "User-Agent: sipendpointd/0.1\r\n" +
    "Authorization: Digest username=\"7001\", realm=\"sip.example.com\", nonce=\"Z2ZkNGY1YzM0\", uri=\"sip:sip.example.com\", response=\"5f2c6b1e9d0a7c3b4e8f1a2d6c9b0e3f\", algorithm=MD5, cnonce=\"a1b2c3d4\", qop=auth, nc=00000001\r\n" +
    "Content-Length: 0\r\n\r\n").utf8)

let ok = Array((
    "SIP/2.0 200 OK\r\n" +
    "Via: SIP/2.0/UDP 192.0.2.10:5060;rport=5060;received=192.0.2.10;branch=z9hG4bK.4f3a9c2e1b7d\r\n" +
    "From: <sip:7001@sip.example.com>;tag=8d1f2a9c\r\n" +
    "To: <sip:7001@sip.example.com>;tag=a6c85cf\r\n" +
    "Call-ID: 5b9e2f64-3c1d-4a8e-9f0b-7d2c6e1a3b45\r\n" +
    "CSeq: 2 REGISTER\r\n" +
    "Contact: <sip:7001@192.0.2.10:5060;transport=udp>;expires=3600;+sip.instance=\"<urn:uuid:1b4f0c7e-2d3a-4e5f-8a9b-0c1d2e3f4a5b>\"\r\n" +
    "Server: kamailio (5.6.3 (x86_64/linux))\r\n" +
    "Content-Length: 0\r\n\r\n").utf8)

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Runs `work` in 5 rounds of `seconds` each and reports the median and the
/// best round: this VM's timing is noisy, so one round says little.
@inline(never)
func run(_ name: String, _ bytes: [UInt8], seconds: Double, work: ([UInt8]) -> Int) {
    if let filter = CommandLine.arguments.dropFirst(2).first, !name.contains(filter) { return }
    var sink = 0
    for _ in 0..<10_000 { sink &+= work(bytes) }
    var rates: [Double] = []
    for _ in 0..<5 {
        let start = now()
        var n = 0
        while now() - start < seconds {
            for _ in 0..<10_000 { sink &+= work(bytes) }
            n += 10_000
        }
        rates.append(Double(n) / (now() - start))
    }
    rates.sort()
    let median = rates[2], best = rates[4]
    print("\(name): median \(Int(median)) msg/s (\(format2(1e9 / median)) ns/msg), best \(Int(best)) msg/s, \(bytes.count) bytes [\(sink & 1)]")
}

func format2(_ x: Double) -> String { String(Double(Int(x * 10)) / 10) }

if CommandLine.arguments.count == 3, CommandLine.arguments[1] == "--dump" {
    for (name, bytes) in [("register.sip", register), ("ok.sip", ok)] {
        let f = fopen(CommandLine.arguments[2] + "/" + name, "wb")!
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        fclose(f)
    }
    exit(0)
}

/// What the transaction and dialog layers read from a message.
@inline(never)
func typed(_ m: SIPMessage) -> Int {
    guard let vias = try? m.vias, let cseq = try? m.cseq, let from = m.from, let to = m.to, let callID = m.headers[.callID] else { return 0 }
    return vias.count + (vias.first?.branch?.utf8.count ?? 0) + Int(cseq.number) + (from.tag?.utf8.count ?? 0) + (to.tag?.utf8.count ?? 0)
        + callID.utf8.count + m.contacts.count + Int(m.expires ?? 0)
}

/// The same reads through the keys (`SIPMessage.keys()`): validation and
/// the typed fields in one pass, as numbers and ranges of the message.
@inline(never)
func typedKeys(_ m: SIPMessage) -> Int {
    guard let k = try? m.keys() else { return 0 }
    return k.viaCount + (k.topVia.branch?.count ?? 0) + Int(k.topVia.port ?? 0) + Int(k.cseq.number) + (k.from.tag?.count ?? 0)
        + (k.to.tag?.count ?? 0) + k.callID.count + k.contactCount + Int(k.expires ?? k.contactExpires ?? 0)
}

let seconds = Double(CommandLine.arguments.dropFirst().first ?? "1") ?? 1
run("parse 200 OK", ok, seconds: seconds) { (try? SIPMessage.parse($0))?.headers.count ?? 0 }
run("parse REGISTER", register, seconds: seconds) { (try? SIPMessage.parse($0))?.headers.count ?? 0 }
run("parse+branch+cseq 200 OK", ok, seconds: seconds) { b in
    guard let m = try? SIPMessage.parse(b) else { return 0 }
    return (m.topVia?.branch?.utf8.count ?? 0) + Int((try? m.cseq.number) ?? 0)
}
run("parse+validate REGISTER", register, seconds: seconds) { b in
    guard let m = try? SIPMessage.parse(b), (try? m.validate()) != nil else { return 0 }
    return m.headers.count
}
// (`guard let`, not Optional.map: the generic map copies the message through its value witness.)
run("parse+typed 200 OK", ok, seconds: seconds) { b in
    guard let m = try? SIPMessage.parse(b) else { return 0 }
    return typed(m)
}
run("parse+validate+typed REGISTER", register, seconds: seconds) { b in
    guard let m = try? SIPMessage.parse(b), (try? m.validate()) != nil else { return 0 }
    return typed(m)
}
run("parse+keys 200 OK", ok, seconds: seconds) { b in
    guard let m = try? SIPMessage.parse(b) else { return 0 }
    return typedKeys(m)
}
run("parse+keys REGISTER", register, seconds: seconds) { b in
    guard let m = try? SIPMessage.parse(b) else { return 0 }
    return typedKeys(m)
}
let msg = try! SIPMessage.parse(ok)
run("serialize 200 OK", ok, seconds: seconds) { _ in msg.serialize().count }
// Where the typed 200 OK's time goes: each typed access on its own, on the
// 200 OK parsed once (filter with "part").
run("part vias", ok, seconds: seconds) { _ in (try? msg.vias)?.count ?? 0 }
run("part top Via branch", ok, seconds: seconds) { _ in msg.topVia?.branch?.utf8.count ?? 0 }
run("part cseq", ok, seconds: seconds) { _ in Int((try? msg.cseq.number) ?? 0) }
run("part from with tag", ok, seconds: seconds) { _ in msg.from?.tag?.utf8.count ?? 0 }
run("part Call-ID", ok, seconds: seconds) { _ in msg.headers[.callID]?.utf8.count ?? 0 }
run("part contacts", ok, seconds: seconds) { _ in msg.contacts.count }
