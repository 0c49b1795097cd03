import Foundation

/// One sipp run (Debian's sip-tester) against the daemon: a scenario from
/// testing/sipp, one call, its own loopback address and ports, errors kept.
struct Sipp {
    let child: ChildProcess
    let work: URL

    /// The address and port this sipp listens on.
    let ip: String
    let port: UInt16

    /// sipp as a client of the daemon (`daemonPort`), or as a server waiting
    /// for a call (`daemonPort` nil); `variables` are set with `-set`.
    init(_ scenario: String, daemonPort: UInt16?, transport: String = "UDP", timeout: Int = 20, variables: [String: String] = [:]) throws {
        ip = LoopbackAddresses.next()
        port = freePort()
        work = Paths.tempDirectory("sipp")
        var args = ["-sf", Paths.root.appendingPathComponent("testing/sipp/\(scenario)").path]
        if let daemonPort { args.append("127.0.0.1:\(daemonPort)") }
        args += ["-i", ip, "-p", String(port), "-m", "1", "-timeout", "\(timeout)s", "-timeout_error", "-nostdin",
                 "-trace_err", "-error_file", work.appendingPathComponent("errors.log").path, "-mi", ip, "-mp", String(freePort())]
        for (k, v) in variables.sorted(by: { $0.key < $1.key }) { args += ["-set", k, v] }
        if transport == "TCP" { args += ["-t", "t1"] }
        child = try ChildProcess("/usr/bin/sipp", args)
    }

    /// Waits for sipp to finish; its exit status and what it said (output, then the error file).
    func finish(timeout: Duration = .seconds(30)) async -> (Int32?, String) {
        let status = await child.waitForExit(timeout: timeout)
        let errors = (try? String(contentsOf: work.appendingPathComponent("errors.log"), encoding: .utf8)) ?? ""
        return (status, String(child.log.text.suffix(1500)) + "\n" + String(errors.suffix(1500)))
    }
}
