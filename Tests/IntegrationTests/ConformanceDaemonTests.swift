import Foundation
import SIPCore
import Testing
import TortureCorpus

/// Every torture message through the running daemon's listeners, with a
/// live registration that must stay undisturbed.
@Suite(.serialized) struct ConformanceDaemonTests {
    @Test func udpListenerAnswersAsTheIndexSays() async throws {
        guard TortureCorpus.directory != nil else {
            print("SKIP: ../shared/conformance/sip-torture is not beside the checkout")
            return
        }
        // Several corpus messages share a branch and sent-by: to the daemon the
        // later ones are retransmissions of the earlier transaction (and get its
        // answer again, as RFC 3261 §17.2.3 requires). So the corpus runs in
        // rounds without shared transaction keys, each against a fresh daemon.
        var rounds: [[TortureCorpus.Case]] = []
        var roundKeys: [Set<TransactionKey>] = []
        for c in TortureCorpus.cases {
            let key = (try? SIPMessage.parse(try TortureCorpus.bytes(c))).flatMap { TransactionKey.server(for: $0) }
            if let i = roundKeys.firstIndex(where: { key == nil || !$0.contains(key!) }) {
                rounds[i].append(c)
                if let key { roundKeys[i].insert(key) }
            } else {
                rounds.append([c])
                roundKeys.append(key.map { [$0] } ?? [])
            }
        }
        let kam = try await Kamailio()
        defer { Task { await kam.stop() } }
        var checked = 0
        for (r, round) in rounds.enumerated() {
            let d = try await Daemon(Daemon.refusingCalls(Daemon.settings(registrar: kam, regTimeout: 60)))
            #expect(await d.log.waitFor("registration registered"))
            // RFC 3261 §18.2.2: without rport the daemon answers to the source
            // address at the Via's sent-by port (default 5060). The test sends
            // from its own loopback address and listens on each port a Via names.
            let clientIP = LoopbackAddresses.next()
            let client = try SocketClient(udpBoundTo: clientIP, port: 0)
            var receivers: [UInt16: SocketClient] = [:]
            // Earlier cases' retransmitted answers are told apart by Call-ID, CSeq and branch.
            func identity(_ m: SIPMessage) -> String {
                "\(m.callID ?? "")|\(m.headers[.cseq] ?? "")|\(m.headers.values(.via).first ?? "")"
            }
            var earlier = Set<String>()
            for (n, c) in round.enumerated() {
                let bytes = try TortureCorpus.bytes(c)
                let parsedVia: SIPVia? = {
                    if let m = try? SIPMessage.parse(bytes) { return m.topVia }
                    return nil
                }()
                if let via = parsedVia, via.rport == nil, receivers[via.port ?? 5060] == nil {
                    receivers[via.port ?? 5060] = try SocketClient(udpBoundTo: clientIP, port: via.port ?? 5060)
                }
                client.send(bytes, to: "127.0.0.1", port: d.sipPort)
                // The daemon handles datagrams in order on one queue: once the probe's
                // answer is here, any answer to the torture message is here too.
                let probeID = "probe-\(r)-\(n)"
                client.send(Array(optionsProbe(to: "127.0.0.1", port: d.sipPort, callID: probeID, localPort: client.localPort).utf8),
                            to: "127.0.0.1", port: d.sipPort)
                var got = await client.receiveMessages(timeout: .seconds(5)) { $0.callID == probeID && $0.statusCode != nil }
                // Answers routed to a Via port are already queued there: drain briefly.
                for r in receivers.values { got += await r.receiveMessages(timeout: .milliseconds(50)) { _ in false } }
                #expect(got.contains { $0.callID == probeID }, "\(c.file): probe not answered")
                // A final response to an INVITE is retransmitted over UDP until
                // ACKed (RFC 3261 §17.2.1): copies of one response count once.
                var seen = Set<String>()
                let answers = got.filter {
                    $0.callID != probeID && !earlier.contains(identity($0)) && $0.statusCode != 100
                        && seen.insert(identity($0) + "|\($0.statusCode ?? 0)").inserted
                }
                let outcome: TortureCorpus.UDPOutcome = answers.first.map { .respond($0.statusCode!) } ?? .silentDrop
                #expect(outcome == c.udp, "\(c.file)")
                #expect(answers.count <= 1, "\(c.file): \(answers.count) answers")
                answers.forEach { earlier.insert(identity($0)) }
                checked += 1
            }
            // The registration is undisturbed: still bound, never retried, daemon alive.
            #expect(d.child.isRunning)
            #expect(try await kam.bindings(user: "7001").count == 1)
            #expect(!d.log.text.contains("registration retrying"))
            #expect(await d.stop() == 0)
        }
        #expect(checked == TortureCorpus.cases.count)
    }

    @Test func tcpFramingCasesCloseTheStreamAndNothingElse() async throws {
        guard TortureCorpus.directory != nil else {
            print("SKIP: ../shared/conformance/sip-torture is not beside the checkout")
            return
        }
        let kam = try await Kamailio()
        defer { Task { await kam.stop() } }
        var settings = Daemon.settings(registrar: kam, transport: "TCP", regTimeout: 60)
        settings["sipendpoint.tcp.incomplete-message-timeout"] = "1"
        let d = try await Daemon(settings)
        #expect(await d.log.waitFor("registration registered"))

        // Unframeable (negative or conflicting Content-Length): closed at once.
        for c in TortureCorpus.cases where c.closesStream {
            let s = try SocketClient(tcpTo: "127.0.0.1", port: d.sipPort)
            s.send(try TortureCorpus.bytes(c))
            var result = await s.receive(timeout: .seconds(5))
            while case .data = result { result = await s.receive(timeout: .seconds(5)) } // a 400 may come first
            #expect(result == .closed, "\(c.file)")
        }
        // Content-Length larger than what arrives: closed once the wait runs out.
        let clerr = TortureCorpus.cases.first { $0.file.hasSuffix("clerr.sip") }!
        let slow = try SocketClient(tcpTo: "127.0.0.1", port: d.sipPort)
        slow.send(try TortureCorpus.bytes(clerr))
        #expect(await slow.receive(timeout: .seconds(6)) == .closed)
        // Oversized garbage without an end of headers: closed.
        let big = try SocketClient(tcpTo: "127.0.0.1", port: d.sipPort)
        big.send([UInt8](repeating: 0x41, count: 70_000))
        #expect(await big.receive(timeout: .seconds(5)) == .closed)
        // A well-formed request on a stream is answered on that stream, and a
        // malformed one with a usable length gets a 400 without closing it.
        let good = try SocketClient(tcpTo: "127.0.0.1", port: d.sipPort)
        let bad = "OPTIONS  sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKbad\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@c>\r\nCall-ID: bad-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        good.send(bad + "\r\n\r\n" + optionsProbe(to: "127.0.0.1", port: d.sipPort, callID: "tcp-probe", transport: "TCP", localPort: good.localPort))
        let answers = await good.receiveMessages(timeout: .seconds(5)) { $0.callID == "tcp-probe" }
        #expect(answers.map { $0.statusCode } == [400, 200])
        // Registration undisturbed.
        #expect(d.child.isRunning)
        #expect(try await kam.bindings(user: "7001").count == 1)
        #expect(!d.log.text.contains("registration retrying"))
        #expect(d.log.text.contains("unframeable stream data"))
        #expect(await d.stop() == 0)
    }
}
