import Testing
@testable import SIPCore

@Suite struct UASCoreTests {
    let caps = UASCapabilities(userAgent: "test")

    func answer(_ m: SIPMessage) -> SIPMessage? { UASCore.respond(to: m, capabilities: caps, toTag: "t") }

    @Test func optionsAnswered200WithCapabilities() throws {
        let r = try #require(answer(request(.options)))
        #expect(r.statusCode == 200)
        #expect(r.headers[.allow]?.contains("OPTIONS") == true)
        #expect(r.headers[.accept] == "application/sdp")
        #expect(r.headers[.supported] != nil)
        #expect(r.to?.tag == "t")
        #expect(r.headers.lines(.via) == request(.options).headers.lines(.via))
        #expect(r.callID == "call-1")
    }

    @Test func methodAndVersionAndExtensionChecks() throws {
        #expect(answer(request("FOO"))?.statusCode == 501)
        #expect(answer(request(.register))?.statusCode == 405)
        #expect(answer(request(.register))?.headers[.allow] != nil)
        var v = request(.options)
        v.startLine = .request(SIPRequestLine(method: .options, uri: try SIPURI("sip:b@h"), version: "SIP/7.0"))
        #expect(answer(v)?.statusCode == 505)
        var req = request(.options)
        req.headers.append(.require, "foo, path")
        let r = try #require(answer(req))
        #expect(r.statusCode == 420)
        #expect(r.headers[.unsupported] == "foo")
        var scheme = request(.options)
        scheme.startLine = .request(SIPRequestLine(method: .options, uri: try SIPURI("nobody:opaque")))
        #expect(answer(scheme)?.statusCode == 416)
    }

    @Test func inviteContentChecks() {
        var inv = request(.invite)
        inv.headers.append(.contentType, "application/unknownformat")
        inv.body = Array("x".utf8)
        #expect(answer(inv)?.statusCode == 415)
        var acc = request(.invite)
        acc.headers.append(.accept, "text/nobodyKnowsThis")
        #expect(answer(acc)?.statusCode == 406)
        #expect(answer(request(.invite))?.statusCode == 480)
        #expect(answer(request(.bye))?.statusCode == 481)
        #expect(answer(request(.ack)) == nil)
    }

    @Test func malformedRequestGets400() {
        var m = request(.options)
        m.headers.replaceFirst(.cseq, with: "1 INVITE")
        #expect(answer(m)?.statusCode == 400)
        var mf = request(.options)
        mf.headers.remove(.callID)
        #expect(answer(mf)?.statusCode == 400)
    }
}

@Suite struct StreamFramerTests {
    let msg = Array("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length: 4\r\n\r\nbody".utf8)

    @Test func framesAcrossArbitrarySplits() throws {
        for split in 1..<msg.count {
            var f = SIPStreamFramer()
            f.append(msg[0..<split])
            #expect(try f.next() == nil)
            f.append(msg[split...] + msg)
            guard case .message(let m)? = try f.next() else { Issue.record("no message at split \(split)"); return }
            #expect(m.body == Array("body".utf8))
            guard case .message? = try f.next() else { Issue.record("second message missing"); return }
            #expect(try f.next() == nil)
        }
    }

    @Test func keepAlivePingAndPong() throws {
        var f = SIPStreamFramer()
        f.append(Array("\r\n\r\n".utf8))
        #expect(try f.next() == .ping)
        f.append(Array("\r\n".utf8))
        #expect(try f.next() == .pong)
        f.append(Array("\r\n".utf8) + msg)
        #expect(try f.next() == .pong)
        guard case .message? = try f.next() else { Issue.record("message after pong"); return }
    }

    @Test func unframeableStreamsThrow() {
        for bad in ["OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n\r\n",
                    "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -999\r\n\r\n",
                    "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 13\r\nl: 5\r\n\r\n"] {
            var f = SIPStreamFramer()
            f.append(Array(bad.utf8))
            #expect(throws: SIPParseError.self) { try f.next() }
        }
        var big = SIPStreamFramer(limits: SIPParserLimits(maxMessageSize: 2048))
        big.append([UInt8](repeating: 0x41, count: 4096))
        #expect(throws: SIPParseError.self) { try big.next() }
    }

    @Test func malformedMessageWithKnownLengthIsSkipped() throws {
        var f = SIPStreamFramer()
        f.append(Array("OPTIONS  sip:a@b SIP/2.0\r\nContent-Length: 2\r\n\r\nxx".utf8) + msg)
        guard case .invalid(let e)? = try f.next() else { Issue.record("expected invalid frame"); return }
        #expect(e.code == .badStartLine)
        guard case .message? = try f.next() else { Issue.record("stream did not continue"); return }
    }
}

@Suite struct ResponseRoutingTests {
    let source = SocketAddress(ip: "192.0.2.7", port: 40000)!

    @Test func rfc3261Section18_2_2() throws {
        // rport: back to the source port (RFC 3581).
        let withRport = try SIPVia(parsing: "SIP/2.0/UDP 10.0.0.1:5070;rport=40000;received=192.0.2.7;branch=z9hG4bK1")
        #expect(InboundMessage.responseAddress(topVia: withRport, source: source) == source)
        // No rport: the received address at the sent-by port, 5060 by default.
        let withPort = try SIPVia(parsing: "SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK1")
        #expect(InboundMessage.responseAddress(topVia: withPort, source: source) == SocketAddress(ip: "192.0.2.7", port: 5070))
        let noPort = try SIPVia(parsing: "SIP/2.0/UDP host.example;branch=z9hG4bK1")
        #expect(InboundMessage.responseAddress(topVia: noPort, source: source) == SocketAddress(ip: "192.0.2.7", port: 5060))
        #expect(InboundMessage.responseAddress(topVia: nil, source: source) == source)
    }

    @Test func receivedAndRportAreStamped() throws {
        var m = request(.options)
        m.headers.replaceFirst(.via, with: "SIP/2.0/UDP 10.0.0.1:5070;rport;branch=z9hG4bK1")
        SIPTransportLayer.stampReceived(&m, source: source)
        let via = try #require(m.topVia)
        #expect(via.received == "192.0.2.7")
        #expect(via.rport == .some(40000))
    }
}
