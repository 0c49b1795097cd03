import Foundation
import Testing

/// The daemon as a systemd service: notify protocol, journald, reload, unit.
@Suite(.serialized) struct ServiceTests {
    /// A datagram socket standing in for systemd's NOTIFY_SOCKET.
    final class NotifySocket: @unchecked Sendable {
        let path: String
        let fd: Int32
        init(dir: URL) {
            path = dir.appendingPathComponent("notify.sock").path
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &addr.sun_path) { p in
                for (i, b) in path.utf8.enumerated() { p[i] = b }
            }
            _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        }
        /// Datagrams until one contains `marker` (bounded by the timeout).
        func read(until marker: String, timeout: Duration) async -> [String] {
            let fd = self.fd
            return await offPool {
                var out: [String] = []
                // The whole duration (a sub-second timeout has 0 whole seconds).
                let deadline = Date().addingTimeInterval(Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)
                while Date() < deadline {
                    var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    guard poll(&pfd, 1, 200) > 0 else { continue }
                    var buf = [UInt8](repeating: 0, count: 4096)
                    let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    if n > 0 {
                        out.append(String(decoding: buf[0..<n], as: UTF8.self))
                        if out.last!.contains(marker) { break }
                    }
                }
                return out
            }
        }
        deinit { close(fd) }
    }

    /// The daemon with NOTIFY_SOCKET pointing at a socket of ours and a watchdog interval.
    func startWithNotify(_ kam: Kamailio, watchdogUsec: Int) async throws -> (NotifySocket, ChildProcess) {
        let sock = NotifySocket(dir: Paths.tempDirectory("notify"))
        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = sock.path
        env["WATCHDOG_USEC"] = String(watchdogUsec)
        let d = try await Daemon(Daemon.settings(registrar: kam), waitStarted: false, environment: env)
        return (sock, d.child)
    }

    @Test func notifyReadyStatusWatchdogStopping() async throws {
        let kam = try await Kamailio()
        defer { Task { await kam.stop() } }
        let (sock, child) = try await startWithNotify(kam, watchdogUsec: 400_000)
        defer { child.kill9() }
        let first = await sock.read(until: "registered", timeout: .seconds(10))
        #expect(first.first?.contains("READY=1") == true, "\(first)")
        #expect(first.contains { $0.contains("STATUS=preferred: registered") }, "\(first)")
        let more = await sock.read(until: "WATCHDOG=1", timeout: .seconds(5))
        #expect(more.contains { $0.contains("WATCHDOG=1") })
        child.signal(SIGTERM)
        let last = await sock.read(until: "STOPPING=1", timeout: .seconds(10))
        #expect(last.contains { $0.contains("STOPPING=1") })
        #expect(await child.waitForExit(timeout: .seconds(10)) == 0)
    }

    @Test func watchdogStopsWhenTheSIPQueueIsStuck() async throws {
        // SIGSTOP freezes every queue: no WATCHDOG=1 may arrive while stopped.
        let kam = try await Kamailio()
        defer { Task { await kam.stop() } }
        let (sock, child) = try await startWithNotify(kam, watchdogUsec: 200_000)
        defer { child.kill9() }
        _ = await sock.read(until: "WATCHDOG=1", timeout: .seconds(10))
        kill(child.pid, SIGSTOP)
        // Drain what was sent before the stop, until the socket stays quiet for 300 ms
        // (a busy test machine may read late what was already queued).
        for _ in 0..<20 where !(await sock.read(until: "never", timeout: .milliseconds(300))).isEmpty {}
        let whileStopped = await sock.read(until: "WATCHDOG=1", timeout: .seconds(1))
        #expect(!whileStopped.contains { $0.contains("WATCHDOG=1") })
        kill(child.pid, SIGCONT)
        #expect(await sock.read(until: "WATCHDOG=1", timeout: .seconds(5)).contains { $0.contains("WATCHDOG=1") })
    }

    @Test func reloadAppliesValidAndRejectsInvalidConfig() async throws {
        let kam = try await Kamailio()
        defer { Task { await kam.stop() } }
        var s = Daemon.settings(registrar: kam, regTimeout: 300)
        let d = try await Daemon(s)
        #expect(await d.log.waitFor("registration registered"))
        // Invalid: rejected, old config kept, registration untouched.
        try "sipendpoint.user = 7001\nsipendpoint.bogus = 1\n".write(to: d.configPath, atomically: true, encoding: .utf8)
        d.child.signal(SIGHUP)
        #expect(await d.log.waitFor("reload rejected; the running config is kept"))
        #expect(d.log.text.contains("sipendpoint.bogus: unknown key"))
        #expect(try await kam.bindings(user: "7001").count == 1)
        // Valid but the same registration settings: nothing is redone.
        s["sipendpoint.state-directory"] = d.work.appendingPathComponent("state").path
        s["sipendpoint.local-address"] = "127.0.0.1"
        s["sipendpoint.control-port"] = "0"
        s["sipendpoint.fleet.spread"] = "0" // as Daemon wrote it: the registration settings stay the same
        let write = { (settings: [String: String]) in
            try settings.map { "\($0.key) = \($0.value)" }.joined(separator: "\n").write(to: d.configPath, atomically: true, encoding: .utf8)
        }
        try write(s)
        // Count real registrations (keep-alive probes carry no Expires) once the
        // registrar's trailing log lines are in.
        #expect(await kam.log.waitFor("REGISTER-SAVED", timeout: .seconds(3)))
        let isRegistration: @Sendable (String) -> Bool = { $0.contains("REGISTER-IN") && $0.contains("expires=300 ") }
        let registersBefore = kam.log.all.filter(isRegistration).count
        d.child.signal(SIGHUP)
        #expect(await d.log.waitFor("registration settings unchanged"))
        #expect(await kam.log.wait(timeout: .seconds(1)) { $0.filter(isRegistration).count > registersBefore } == false)
        // A new DN: the old binding goes, the new one comes.
        s["sipendpoint.user"] = "7002"
        try write(s)
        d.child.signal(SIGHUP)
        #expect(await d.log.waitFor("registration settings changed"))
        // Keep-alive probes log REGISTER-SAVED too: wait for the daemon's own word.
        #expect(await d.log.waitFor("registration registered", count: 2, timeout: .seconds(10)))
        #expect(try await kam.bindings(user: "7001").isEmpty)
        #expect(try await kam.bindings(user: "7002").count == 1, "\(d.log.text.suffix(3000))")
        #expect(await d.stop() == 0)
    }

    @Test func journaldBackendSendsStructuredFieldsAndNoPassword() async throws {
        // A private mount namespace with our own /run/systemd/journal/socket,
        // read by a small receiver; the daemon logs there with log-target=journal.
        let kam = try await Kamailio(password: "right-pw-123")
        defer { Task { await kam.stop() } }
        let work = Paths.tempDirectory("journal")
        let out = work.appendingPathComponent("journal.out").path
        var s = Daemon.settings(password: "wrong-pw-456", registrar: kam)
        s["sipendpoint.log-target"] = "journal"
        s["sipendpoint.state-directory"] = work.path + "/state"
        s["sipendpoint.local-address"] = "127.0.0.1"
        s["sipendpoint.control-port"] = "0"
        let conf = work.appendingPathComponent("d.conf").path
        func writeConf() throws { try s.map { "\($0.key) = \($0.value)" }.joined(separator: "\n").write(toFile: conf, atomically: true, encoding: .utf8) }
        try writeConf()
        let receiver = """
        import socket, sys, os
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind('/run/systemd/journal/socket')
        open('\(out).ready', 'w').close()
        with open('\(out)', 'ab', buffering=0) as f:
            while True:
                data = s.recv(65536)
                f.write(data + b'\\n--END--\\n')
        """
        try receiver.write(toFile: work.appendingPathComponent("recv.py").path, atomically: true, encoding: .utf8)
        let script = """
        set -e
        mount -t tmpfs tmpfs /run/systemd/journal 2>/dev/null || { mkdir -p /run/systemd/journal; mount -t tmpfs tmpfs /run/systemd/journal; }
        python3 \(work.path)/recv.py &
        for i in $(seq 1 300); do [ -e \(out).ready ] && break; sleep 0.1; done
        \(Paths.daemon) --config \(conf) &
        pid=$!
        for i in $(seq 1 300); do grep -q auth-failed \(out) 2>/dev/null && break; sleep 0.1; done
        sed -i 's/wrong-pw-456/right-pw-123/' \(conf)
        kill -HUP $pid
        for i in $(seq 1 300); do grep -q 'registration registered' \(out) 2>/dev/null && break; sleep 0.1; done
        kill -TERM $pid; wait $pid || true
        """
        let (status, text) = try await runCommand("/usr/bin/unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c", script])
        #expect(status == 0, "\(text)")
        // Multi-line values (SIP traces) use journald's binary field format: decode leniently.
        let journal = String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: out))) ?? Data(), as: UTF8.self)
        #expect(journal.contains("MESSAGE=registration auth-failed"), "\(journal.prefix(2000))")
        #expect(journal.contains("MESSAGE=registration registered"))
        #expect(journal.contains("PRIORITY=4"))
        #expect(journal.contains("SIPENDPOINT_STATE=registered"))
        #expect(journal.contains("SIP_SITE=preferred"))
        #expect(journal.contains("SIPENDPOINT_REASON="))
        #expect(journal.contains("SYSLOG_IDENTIFIER=sipendpointd"))
        #expect(!journal.contains("wrong-pw-456") && !journal.contains("right-pw-123"))
        #expect(!text.contains("wrong-pw-456") && !text.contains("right-pw-123"))
    }

    @Test func unitIsHardenedAndInstallsInFHSPlaces() async throws {
        let (status, out) = try await runCommand("/usr/bin/systemd-analyze", ["security", "--offline=true", Paths.root.appendingPathComponent("systemd/sipendpointd.service").path])
        let line = out.split(separator: "\n").first { $0.contains("Overall exposure level") } ?? ""
        let score = Double(line.split(separator: ":").last?.split(separator: " ").first ?? "99") ?? 99
        print("MEASURED systemd-analyze security: \(line)")
        #expect(status == 0 || score < 99)
        #expect(score <= 2.5, "\(out.suffix(500))")
        let unit = try String(contentsOf: Paths.root.appendingPathComponent("systemd/sipendpointd.service"), encoding: .utf8)
        let stage = Paths.tempDirectory("stage")
        let bindir = URL(fileURLWithPath: Paths.daemon).deletingLastPathComponent().path
        let (makeStatus, makeOut) = try await runCommand("/usr/bin/make", ["-C", Paths.root.path, "install-files", "DESTDIR=\(stage.path)", "BINDIR=\(bindir)"])
        #expect(makeStatus == 0, "\(makeOut)")
        for file in ["usr/sbin/sipendpointd", "usr/lib/systemd/system/sipendpointd.service", "usr/lib/sysusers.d/sipendpointd.conf",
                     "usr/lib/tmpfiles.d/sipendpointd.conf", "usr/share/doc/sipendpointd/sipendpointd.conf.example", "etc/sipendpointd/sipendpointd.conf"] {
            #expect(FileManager.default.fileExists(atPath: stage.appendingPathComponent(file).path), "\(file)")
        }
        for needle in ["Type=notify", "WatchdogSec=", "Restart=on-failure", "ExecReload=", "SupplementaryGroups=audio", "StateDirectory=", "ConfigurationDirectory="] {
            #expect(unit.contains(needle), "\(needle)")
        }
    }
}
