import Foundation

/// One sipp run (Debian's sip-tester) against the daemon: a scenario from
/// testing/sipp, one call, its own loopback address and ports, errors kept.
struct Sipp {
    let child: ChildProcess
    let work: URL

    init(_ scenario: String, daemonPort: UInt16, transport: String = "UDP", timeout: Int = 20) throws {
        let ip = LoopbackAddresses.next()
        work = Paths.tempDirectory("sipp")
        var args = ["-sf", Paths.root.appendingPathComponent("testing/sipp/\(scenario)").path, "127.0.0.1:\(daemonPort)",
                    "-i", ip, "-p", String(freePort()), "-m", "1", "-timeout", "\(timeout)s", "-timeout_error", "-nostdin",
                    "-trace_err", "-error_file", work.appendingPathComponent("errors.log").path, "-mi", ip, "-mp", String(freePort())]
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
