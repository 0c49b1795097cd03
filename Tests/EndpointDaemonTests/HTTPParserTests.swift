import Dispatch
import Testing
@testable import EndpointDaemon
@testable import SIPCore

@Suite struct HTTPParserTests {
    func parse(_ text: String) throws(HTTPParseError) -> HTTPRequest? {
        var p = HTTPParser()
        p.append(Array(text.utf8))
        return try p.next()
    }

    @Test func parsesRequestsWithBodyAndQuery() throws {
        let r = try #require(try parse("POST /register?x=1&token=a%20b HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}"))
        #expect(r.method == "POST" && r.path == "/register")
        #expect(r.query["token"] == "a b")
        #expect(r.body == Array("{}".utf8))
        #expect(r.keepAlive)
        #expect(try parse("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nab") == nil) // body still coming
    }

    /// Found by the HTTP fuzzer: a query pair that is only "=" (or empty
    /// pieces between "&") crashed the daemon; such pairs are skipped.
    @Test func queryPairsWithoutAKeyAreSkipped() throws {
        let r = try #require(try parse("GET /v1/calls?=&&a=1&=x&b&c= HTTP/1.1\r\nHost: h\r\n\r\n"))
        #expect(r.path == "/v1/calls")
        #expect(r.query == ["a": "1", "b": "", "c": ""])
        // The fuzzer's own input (Fuzz/regressions/HTTP/query-empty-pair) parses without a crash.
        _ = try? parse("PET /v1llq?stH<e&tH<e&=&Tll HTTP/1.1\r\nHost: 127.HUTP/\r\n\r\n")
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\n\r\n", 400), ("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505), ("GET / FOO\r\nHost: h\r\n\r\n", 400),
        ("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400), ("GET x HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", 400), ("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
        ("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400), ("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 70000\r\n\r\n", 413), ("GET / HTTP/1.1\nHost: h\n\n", 400),
        ("G@T / HTTP/1.1\r\nHost: h\r\n\r\n", 400), ("GET / HTTP/1.1\r\nBad Name: x\r\nHost: h\r\n\r\n", 400),
    ])
    func rejects(_ text: String, _ status: Int) {
        do {
            _ = try parse(text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.status == status, "\(text)")
        }
    }

    @Test func headerLimits() {
        var p = HTTPParser()
        p.append(Array(("GET / HTTP/1.1\r\nHost: h\r\n" + String(repeating: "X: y\r\n", count: 100) + "\r\n").utf8))
        #expect(throws: HTTPParseError(status: 431, reason: "more than 64 header fields")) { try p.next() }
        var big = HTTPParser()
        big.append([UInt8](repeating: 0x41, count: 20_000))
        #expect(throws: HTTPParseError.self) { try big.next() }
    }

    /// 100,000 mutations: no crash, no hang, every outcome a request or an error.
    @Test func fuzz() async {
        // CPU-bound: off the cooperative pool, so parallel integration tests keep running.
        let (parsed, badPaths) = await withCheckedContinuation { (c: CheckedContinuation<(Int, Int), Never>) in
            DispatchQueue.global().async { c.resume(returning: Self.fuzzBody()) }
        }
        #expect(parsed > 1000)
        #expect(badPaths == 0)
    }

    /// Returns how many requests parsed and how many had a path not starting with "/".
    static func fuzzBody() -> (Int, Int) {
        var badPaths = 0
        let seeds = ["POST /register HTTP/1.1\r\nHost: 127.0.0.1:8200\r\nOrigin: http://a.example\r\nContent-Length: 25\r\n\r\n{\"sipendpoint.user\":\"1\"}\n",
                     "GET /v1/events?token=abc HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nConnection: close\r\n\r\n"].map { Array($0.utf8) }
        let rng = RandomSource.seeded(77)
        var parsed = 0
        for n in 0..<100_000 {
            var b = seeds[n % 2]
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let pos = Int(rng.next() % UInt64(b.count))
                switch rng.next() % 4 {
                case 0: b[pos] = UInt8(truncatingIfNeeded: rng.next())
                case 1: b.insert(UInt8(truncatingIfNeeded: rng.next()), at: pos)
                case 2: b.remove(at: pos)
                default: b.insert(contentsOf: [0x0D, 0x0A], at: pos)
                }
                if b.isEmpty { b = [0x20] }
            }
            var p = HTTPParser()
            p.append(b)
            for _ in 0..<4 {
                guard let r = try? p.next() else { break }
                parsed += 1
                if !r.path.hasPrefix("/") { badPaths += 1 }
            }
        }
        return (parsed, badPaths)
    }
}

@Suite struct ControlDocumentTests {
    @Test func apiStatesAreTheContract() {
        #expect(ControlAPI.apiState(.registered) == "registered")
        #expect(ControlAPI.apiState(.retrying) == "failed")
        #expect(ControlAPI.apiState(.authFailed) == "failed")
        #expect(ControlAPI.apiState(.registering) == "registering")
        #expect(ControlAPI.apiState(.stopped) == "stopped")
        #expect(JSON.string("a\"b\\c\n\u{01}") == "\"a\\\"b\\\\c\\n\\u0001\"")
    }

    @Test func journaldFieldNames() {
        #expect(JournaldLogHandler.fieldName("site") == "SIP_SITE")
        #expect(JournaldLogHandler.fieldName("state") == "SIPENDPOINT_STATE")
        #expect(JournaldLogHandler.fieldName("sip-port") == "SIPENDPOINT_SIP_PORT")
        #expect(JournaldLogHandler.priority(.warning) == 4)
    }
}
