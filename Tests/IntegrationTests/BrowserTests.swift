import Foundation
import Testing

/// A real browser (headless Chromium) drives the control port from a page on
/// another loopback origin: allowed origin works (fetch, DELETE with its
/// preflight, wrong token told apart, EventSource); an unlisted origin is
/// blocked by CORS.
@Suite(.serialized) struct BrowserTests {
    @Test func allowedOriginWorksAndOthersAreBlocked() async throws {
        let kam = try await Kamailio()
        defer { Task { await kam.stop() } }
        let apiPort = freePort()
        let allowedHost = "127.0.0.2"
        let token = "browser-token-0123456789"
        var s = Daemon.settings(registrar: kam)
        s["sipendpoint.control-port"] = String(apiPort)
        s["sipendpoint.control-token"] = token
        let webPort = freePort()
        s["sipendpoint.control-allowed-origins"] = "http://\(allowedHost):\(webPort)"
        let d = try await Daemon(s)
        #expect(await d.log.waitFor("registration registered", timeout: .seconds(10)))
        let allowed = try await run(host: allowedHost, webPort: webPort, apiPort: apiPort, token: token)
        #expect(allowed["status"] as? Int == 200, "\(allowed)")
        #expect(allowed["ready"] as? Bool == true)
        #expect(allowed["delete"] as? Int == 200)
        #expect(allowed["wrongToken"] as? Int == 403) // a 403 the page can read: CORS headers on 4xx
        #expect(allowed["events"] as? String == "preferred")
        let refused = try await run(host: "127.0.0.3", webPort: freePort(), apiPort: apiPort, token: token)
        #expect((refused["status"] as? String)?.hasPrefix("blocked") == true, "\(refused)")
        #expect((refused["delete"] as? String)?.hasPrefix("blocked") == true)
        #expect(refused["events"] as? String == "error")
        #expect(await d.stop() == 0)
    }

    /// Serves testing/browser/page.html from `host:webPort`, loads it in
    /// headless Chromium, and returns what the page recorded.
    func run(host: String, webPort: UInt16, apiPort: UInt16, token: String) async throws -> [String: Any] {
        let web = try ChildProcess("/usr/bin/python3", ["-m", "http.server", String(webPort), "--bind", host,
                                                        "--directory", Paths.root.appendingPathComponent("testing/browser").path])
        defer { web.kill9() }
        _ = await web.log.waitFor("Serving HTTP", timeout: .seconds(10))
        let profile = Paths.tempDirectory("chromium")
        let url = "http://\(host):\(webPort)/page.html?api=http://127.0.0.1:\(apiPort)&token=\(token)"
        let (_, out) = try await runCommand("/usr/bin/chromium", ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile.path)",
                                                                   "--virtual-time-budget=10000", "--dump-dom", url])
        guard let line = out.split(separator: "\n").first(where: { $0.contains("<pre id=\"out\">RESULT ") }),
              let start = line.range(of: "RESULT "), let end = line.range(of: "</pre>") else {
            Issue.record("no result from the page:\n\(out.suffix(2000))")
            return [:]
        }
        let json = String(line[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "&quot;", with: "\"")
        return (try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]) ?? [:]
    }
}
