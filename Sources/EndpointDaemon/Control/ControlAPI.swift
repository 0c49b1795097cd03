import Dispatch
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import SIPCore

/// Speaker/microphone settings the agent desktop drives (POST /audio).
struct AudioState: Sendable {
    var speakerVolume = 50, microphoneVolume = 50
    var speakerMuted = false, microphoneMuted = false
}

/// The control API: Genesys Softphone Connector v2 routes and the native
/// `/v1` routes, behind the token and CORS rules.
///
/// `@unchecked Sendable` boundary: runs on the control queue; service state
/// is read on the SIP queue with `sync` (the SIP queue never waits for us).
final class ControlAPI: @unchecked Sendable {
    unowned let service: EndpointService
    let queue: DispatchQueue
    var audio = AudioState()
    private(set) var sinks: [EventSink] = []
    /// Each call's voice-quality alarm as last pushed (ControlAPI+Quality).
    var alarms: [String: Bool] = [:]
    var qualityTimer: DispatchSourceTimer?

    /// Every route served: the OpenAPI document must list exactly these.
    static let routes: [(method: String, path: String)] = [
        ("GET", "/session"), ("DELETE", "/session"), ("POST", "/register"), ("DELETE", "/register"),
        ("POST", "/audio"), ("DELETE", "/calls"), ("GET", "/v1/status"), ("GET", "/v1/events"),
        ("GET", "/v1/config"), ("GET", "/metrics"), ("GET", "/v1/calls"), ("POST", "/v1/calls"), ("DELETE", "/v1/calls/{id}"),
        ("POST", "/v1/calls/{id}/answer"), ("POST", "/v1/calls/{id}/hangup"), ("POST", "/v1/calls/{id}/hold"), ("POST", "/v1/calls/{id}/resume"), ("POST", "/v1/calls/{id}/dtmf"),
    ]

    init(service: EndpointService, queue: DispatchQueue) {
        self.service = service
        self.queue = queue
    }

    // MARK: Gate: CORS and token

    func handle(_ r: HTTPRequest) -> HTTPReply {
        let (config, controlToken) = service.queue.sync { (service.config, service.controlToken) }
        let origin = r.header("origin")
        let allowed = origin.map { config.controlAllowedOrigins.contains($0) } ?? true
        var cors: [(String, String)] = []
        if let origin, allowed { cors = [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")] }
        func finish(_ resp: HTTPResponse) -> HTTPReply {
            var resp = resp
            resp.headers += cors
            return .response(resp)
        }
        if r.method == "OPTIONS" {
            // Preflight: answered without the token; an unlisted origin gets no CORS headers.
            guard origin != nil, allowed else { return .response(.error(403, "origin not allowed")) }
            var h = cors + [("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS"),
                            ("Access-Control-Allow-Headers", "Authorization, Content-Type"), ("Access-Control-Max-Age", "600")]
            if r.header("access-control-request-private-network")?.lowercased() == "true" {
                h.append(("Access-Control-Allow-Private-Network", "true"))
            }
            return .response(HTTPResponse(status: 204, headers: h))
        }
        // Refused even when the browser skipped the preflight (a text/plain POST).
        guard allowed else { return .response(.error(403, "origin not allowed")) }
        if let token = controlToken {
            let bearer = r.header("authorization").flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
            // EventSource cannot send headers: /v1/events also takes ?token=.
            let query = r.path == "/v1/events" ? r.query["token"] : nil
            guard bearer == token || query == token else { return finish(.error(403, "missing or wrong token")) }
        }
        guard Self.routes.contains(where: { Self.matches(template: $0.path, path: r.path) }) else { return finish(.error(404, "no such resource")) }
        guard Self.routes.contains(where: { Self.matches(template: $0.path, path: r.path) && $0.method == r.method }) else {
            return finish(.error(405, "method not allowed"))
        }
        switch (r.method, r.path) {
        case ("GET", "/v1/events"):
            return .eventStream(headers: cors) { [weak self] sink in
                guard let self else { return }
                self.sinks.append(sink)
                sink.send(event: "status", data: self.statusJSON(self.snapshot()))
            }
        default:
            return finish(route(r))
        }
    }

    // MARK: Routes

    private func route(_ r: HTTPRequest) -> HTTPResponse {
        if let response = callRoute(r) { return response }
        switch (r.method, r.path) {
        case ("GET", "/session"): return .json(200, sessionJSON(snapshot()))
        case ("GET", "/v1/status"): return .json(200, statusJSON(snapshot()))
        case ("GET", "/v1/config"): return .json(200, configJSON())
        case ("GET", "/metrics"):
            return HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4")], body: Array(metrics().utf8))
        case ("POST", "/register"):
            var overrides: [String: String] = [:]
            if !r.body.isEmpty {
                guard let object = ControlRequest.decode([String: ControlRequest.Scalar].self, r.body) else {
                    return .error(400, "body must be a JSON object of sipendpoint.* settings, each a string, number or boolean")
                }
                for (k, v) in object { overrides[k] = v.setting }
            }
            let errors = service.queue.sync { service.startRegistrations(overrides: overrides) }
            if !errors.isEmpty {
                let list = errors.map { "{\"key\":\(JSON.optional($0.key)),\"reason\":\(JSON.string($0.reason))}" }
                return .json(400, "{\"errors\":[\(list.joined(separator: ","))]}")
            }
            return .json(200, "{\"result\":\"registering\"}")
        case ("DELETE", "/register"), ("DELETE", "/session"):
            // Genesys Connector: stopping the registrations drops the calls.
            service.queue.sync {
                service.calls.hangupAll()
                service.stopRegistrations()
            }
            return .json(200, "{\"result\":\"stopped\"}")
        case ("POST", "/audio"):
            guard let object = r.body.isEmpty ? [:] : ControlRequest.decode([String: [String: ControlRequest.Scalar]].self, r.body) else {
                return .error(400, "body must be a JSON object of speaker/microphone objects")
            }
            for (device, fields) in object {
                guard device == "speaker" || device == "microphone" else {
                    return .error(400, "\(device): expected speaker or microphone objects")
                }
                if let v = fields["volume"] {
                    guard case .integer(let n) = v, (0...100).contains(n) else { return .error(400, "\(device).volume must be 0-100") }
                    if device == "speaker" { audio.speakerVolume = n } else { audio.microphoneVolume = n }
                }
                if let m = fields["muted"] {
                    guard case .bool(let b) = m else { return .error(400, "\(device).muted must be true or false") }
                    if device == "speaker" { audio.speakerMuted = b } else { audio.microphoneMuted = b }
                }
            }
            let engine = service.media.engine
            engine.microphoneMuted.store(audio.microphoneMuted, ordering: .relaxed)
            engine.speakerMuted.store(audio.speakerMuted, ordering: .relaxed)
            engine.microphoneVolume.store(audio.microphoneVolume, ordering: .relaxed)
            engine.speakerVolume.store(audio.speakerVolume, ordering: .relaxed)
            let snap = snapshot()
            broadcast(snap)
            return .json(200, ControlView.encode(devices(snap)))
        default:
            return .error(404, "no such resource")
        }
    }

    // MARK: Documents

    /// One hop onto the SIP queue: what every document of this request shows.
    func snapshot() -> ControlSnapshot { service.queue.sync { service.controlSnapshot } }

    static func apiState(_ s: RegistrationStatus.State) -> String {
        switch s {
        case .registered: return "registered"
        case .registering, .idle: return "registering"
        case .retrying, .authFailed: return "failed"
        case .unregistering, .stopped: return "stopped"
        }
    }

    func devices(_ snap: ControlSnapshot) -> ControlView.Devices {
        ControlView.Devices(audio: audio, engine: service.media.engine, configured: snap.config.calls.devices)
    }

    func status(_ snap: ControlSnapshot, reason: String? = nil) -> ControlView.Status {
        let st = snap.continuity
        return ControlView.Status(ready: st?.ready ?? false, activeSite: st?.activeSite.map { "\($0)" },
                                  sites: (st?.channels ?? []).map(ControlView.SiteStatus.init), calls: snap.calls.map(ControlView.Call.init),
                                  devices: devices(snap), reason: reason)
    }

    func statusJSON(_ snap: ControlSnapshot) -> String { ControlView.encode(status(snap)) }

    func sessionJSON(_ snap: ControlSnapshot) -> String {
        let st = snap.continuity, config = snap.config
        let connections = (st?.channels ?? []).map { ControlView.Connection(server: $0.target ?? "", state: Self.apiState($0.state), user: config.user) }
        let protocolName = st?.channels.first?.transport.map { "\($0)" } ?? config.transport.map { "\($0)" } ?? "udp"
        return ControlView.encode(ControlView.Session(devices: devices(snap), phone: phone(snap),
                                                      connectivities: ControlView.Connectivities(protocol: protocolName, connections: connections),
                                                      status: (st?.ready ?? false) ? "connected" : "disconnected"))
    }

    /// Connector `phone`: the calls, and the quality of the current one (the most recent established call).
    func phone(_ snap: ControlSnapshot) -> ControlView.Phone {
        let current = snap.calls.last { $0.state == "established" }?.media
        return ControlView.Phone(local_mos: ControlView.figure(current?.localMOS ?? 0), rtt_ms: ControlView.figure(current?.rttMs ?? 0),
                                 calls: snap.calls.map(ControlView.Call.init),
                                 vq_alarm_on: current.map { Self.alarm($0, below: snap.config.calls.vqAlarmMOS) } ?? false,
                                 local_inter_mos: ControlView.figure(current?.intervalMOS ?? 0))
    }

    /// The settings in force, secrets redacted, keys sorted.
    func configJSON() -> String {
        var items = service.queue.sync { service.effectiveSettings }
        for k in items.keys where k.contains("password") && !k.hasSuffix("-file") || k == "sipendpoint.control-token" { items[k] = "<redacted>" }
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? e.encode(items)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    func metrics() -> String {
        let snap = snapshot()
        let snapshot = (snap.continuity, snap.counters)
        var out = "# HELP sipendpoint_ready 1 when at least one registration stands.\n# TYPE sipendpoint_ready gauge\n"
        out += "sipendpoint_ready \(snapshot.0?.ready == true ? 1 : 0)\n"
        out += "# HELP sipendpoint_registration_state Registration state per site (1 for the current state).\n# TYPE sipendpoint_registration_state gauge\n"
        for c in snapshot.0?.channels ?? [] {
            for s in ["registered", "registering", "failed", "stopped"] {
                out += "sipendpoint_registration_state{site=\"\(c.site)\",state=\"\(s)\"} \(Self.apiState(c.state) == s ? 1 : 0)\n"
            }
        }
        out += "# HELP sipendpoint_active_site 1 for the active site.\n# TYPE sipendpoint_active_site gauge\n"
        for site in Site.allCases { out += "sipendpoint_active_site{site=\"\(site)\"} \(snapshot.0?.activeSite == site ? 1 : 0)\n" }
        out += "# HELP sipendpoint_registration_transitions_total Registration state changes.\n# TYPE sipendpoint_registration_transitions_total counter\n"
        for (site, _, transitions, _) in snapshot.1 { out += "sipendpoint_registration_transitions_total{site=\"\(site)\"} \(transitions)\n" }
        out += "# HELP sipendpoint_register_rtt_seconds Last REGISTER round-trip time.\n# TYPE sipendpoint_register_rtt_seconds gauge\n"
        for (site, rtt, _, _) in snapshot.1 { if let rtt { out += "sipendpoint_register_rtt_seconds{site=\"\(site)\"} \(rtt)\n" } }
        out += "# HELP sipendpoint_keepalive_misses_total Unanswered keep-alives.\n# TYPE sipendpoint_keepalive_misses_total counter\n"
        for (site, _, _, misses) in snapshot.1 { out += "sipendpoint_keepalive_misses_total{site=\"\(site)\"} \(misses)\n" }
        out += "# HELP sipendpoint_calls Calls in progress.\n# TYPE sipendpoint_calls gauge\nsipendpoint_calls \(snap.calls.count)\n"
        if let kb = ResidentSetTrimmer.residentKB() {
            out += "# HELP process_resident_memory_bytes Resident memory of sipendpointd.\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes \(kb * 1024)\n"
        }
        return out + callMetrics(snap)
    }

    /// Pushes `data` as `event` to every open event stream; call on `queue`.
    func broadcast(event: String, data: String) {
        sinks.removeAll { !$0.isOpen }
        for s in sinks { s.send(event: event, data: data) }
    }

    /// Pushes a call event to every event stream; call on `queue`.
    func broadcast(call event: CallEvent) {
        sinks.removeAll { !$0.isOpen }
        guard !sinks.isEmpty else { return }
        let data = ControlView.encode(ControlView.CallEvent(event: event.kind.rawValue, call: ControlView.Call(c: event.call), detail: event.detail))
        for s in sinks { s.send(event: "call", data: data) }
    }

    /// Pushes the current status to every event stream; call on `queue`.
    func broadcast(_ snap: ControlSnapshot? = nil, reason: String? = nil) {
        sinks.removeAll { !$0.isOpen }
        guard !sinks.isEmpty else { return }
        let data = ControlView.encode(status(snap ?? snapshot(), reason: reason))
        for s in sinks { s.send(event: "status", data: data) }
    }
}
