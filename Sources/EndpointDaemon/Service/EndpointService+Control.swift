import Dispatch
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import Logging
import SIPCore

/// What the control API asks of the service. Called on the SIP queue.
extension EndpointService {
    var queue: DispatchQueue { stack.queue }

    var continuityState: ContinuityState? { continuity?.state }

    /// Per site: last REGISTER round trip, transitions, keep-alive misses.
    var channelCounters: [(Site, Double?, Int, Int)] {
        (continuity?.channelClients ?? []).map { ($0.0, $0.1.lastRoundTrip, $0.1.transitions, $0.1.keepAliveMisses) }
    }

    /// The settings in force: the file's lines with this session's overrides.
    var effectiveSettings: [String: String] {
        var out: [String: String] = [:]
        if let text = try? String(contentsOfFile: configPath, encoding: .utf8) {
            for e in ConfigFile.parse(text).entries { out[e.key] = e.value }
        }
        for (k, v) in overrides { out[k] = v }
        return out
    }

    /// POST /register: validate the overrides with the file exactly like a
    /// config load; on success (re)start the registrations with them.
    func startRegistrations(overrides new: [String: String]) -> [ConfigError] {
        switch ConfigLoader.load(path: configPath, overrides: new) {
        case .failure(let errors):
            return errors.errors
        case .success(var cfg):
            cfg.localAddress = config.localAddress
            cfg.localPort = config.localPort
            cfg.tls = config.tls
            overrides = new
            let wasRunning = continuity != nil
            replaceConfig(cfg)
            logger.notice("registrations (re)started by the control API", metadata: ["overrides": "\(new.keys.sorted().joined(separator: ","))"])
            restartRegistrations(evenIfRunning: wasRunning)
            return []
        }
    }

    /// DELETE /register, DELETE /session: unregister every site and stay up.
    func stopRegistrations() {
        network?.stop()
        guard let old = continuity else { return }
        continuity = nil
        control?.queue.async { self.control?.broadcast(reason: "registrations stopped") }
        notifier.status("stopped by the control API")
        old.stop { withExtendedLifetime(old) {} }
    }

    /// Starts the HTTP control port (call on the SIP queue at start).
    func startControl() throws {
        guard config.controlPort != 0 else { return }
        let controlQueue = DispatchQueue(label: "sipendpointd.control")
        let api = ControlAPI(service: self, queue: controlQueue)
        var tls: TLSServerContext?
        if let cert = config.controlTLSCertificateFile, let key = config.controlTLSPrivateKeyFile {
            do { tls = try TLSServerContext(certificateFile: cert, privateKeyFile: key) } catch {
                throw StateError(reason: "control port HTTPS: \(error)")
            }
        }
        let trimmer = trimmer
        let server = HTTPServer(queue: controlQueue, requestTimeout: config.controlRequestTimeout, tls: tls, logger: logger) { request in
            // A request may have run code for the first time (JSON, the first
            // metadata of a type): released again once things are quiet.
            defer { trimmer?.schedule(after: .seconds(5)) }
            return api.handle(request)
        }
        guard let address = SocketAddress(ip: config.controlAddress, port: config.controlPort) else {
            throw StateError(reason: "bad control address \(config.controlAddress)")
        }
        try controlQueue.sync {
            try server.start(address: address)
            api.startQualityWatch()
        }
        control = api
        httpServer = server
        logger.notice("control port listening", metadata: [
            "address": "\(server.local.map { "\($0)" } ?? "\(address)")", "https": "\(tls != nil)",
        ])
    }
}
