import Dispatch
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import Logging
import SIPCore
import Synchronization

/// The running daemon: the SIP stack, the registration, and the signals
/// that stop it. Everything it owns runs on the stack's queue.
///
/// `@unchecked Sendable` boundary: mutable state is touched only on
/// `stack.queue`.
final class EndpointService: @unchecked Sendable {
    private(set) var config: EndpointConfiguration
    /// Each site's REGISTER Call-ID (kept for the life of the process) and the next CSeq.
    var registrationDialogs: [Site: (callID: String, nextCSeq: UInt32)] = [:]
    let configPath: String
    let notifier = ServiceNotifier()
    let logger: Logger
    let stack: SIPStack
    let instanceID: String
    var continuity: ContinuityController?
    var network: NetworkMonitor?
    var control: ControlAPI?
    /// Calls and their media.
    let media: RTPMediaProvider
    private(set) var calls: CallManager!
    var httpServer: HTTPServer?
    /// POST /register settings, on top of the file, for this session.
    var overrides: [String: String] = [:]
    /// Bearer token for the control port, from the config or its file.
    private(set) var controlToken: String?
    private var signalSources: [DispatchSourceSignal] = []
    /// Releases code pages a moment of start-up or call set-up left mapped.
    let trimmer: ResidentSetTrimmer?
    private var stopping = false
    private var finished = false

    /// The Contacts last registered, per site (state directory), and those of this run.
    let bindingMemory: BindingMemory?
    private var savedBindings: [Site: SIPURI] = [:]

    init(config: EndpointConfiguration, configPath: String, instanceID: String, stateDirectory: String? = nil, tls: TLSContext?, logger: Logger) {
        self.bindingMemory = stateDirectory.map(BindingMemory.init)
        self.config = config
        self.configPath = configPath
        self.controlToken = Self.token(config)
        self.instanceID = instanceID
        self.logger = logger
        var transport = TransportConfiguration(localAddress: config.localAddress, localPort: config.localPort,
                                               families: config.families, kinds: [.udp, .tcp], limits: SIPParserLimits(maxMessageSize: config.maxMessageSize),
                                               streamIdleTimeout: config.streamIncompleteTimeout)
        transport.tls = tls
        let userAgent = "sipendpointd/\(DaemonVersion.string)"
        self.stack = SIPStack(transport: transport, timers: config.timers,
                              capabilities: UASCapabilities(allowed: CallPolicy.allowedMethods, accepted: CallPolicy.acceptedBodies, supported: ["path"] + CallPolicy.optionTags, userAgent: userAgent), logger: logger)
        media = RTPMediaProvider(settings: config.calls)
        let engine = media.engine
        trimmer = config.releaseUnusedCode ? ResidentSetTrimmer(logger: logger) : nil
        var policy = config.calls.policy
        policy.userAgent = userAgent
        policy.t1 = config.timers.t1
        policy.t2 = config.timers.t2
        calls = CallManager(stack: stack, media: media, policy: policy, user: config.user, logger: logger,
                            wallClock: { Date().timeIntervalSince1970 })
        stack.router = calls
        calls.dtmfMethod = CallMachine.DTMFMethod(rawValue: config.calls.dtmfMethod.rawValue) ?? .rfc2833
        calls.outbound = { [weak self] in
            guard let self, let target = self.continuity?.activeClient?.currentTarget else { return nil }
            let c = self.config
            return (target, SIPURI(user: c.user, host: c.aorDomain.trimmingCharacters(in: "[]")),
                    DigestCredentials(username: c.authUser ?? c.user, password: c.password ?? ""))
        }
        calls.onEvent = { [weak self] event in
            guard let self else { return }
            self.control?.queue.async { self.control?.broadcast(call: event) }
        }
        // The devices in use, logged when they change (opened, moved after a hot-plug, closed).
        let log = logger, trimmer = trimmer
        let shown = Mutex<String>("")
        engine.onDevicesChanged = {
            // Opening or closing the audio ran code the call will not run again.
            trimmer?.schedule(after: .seconds(3), soon: true)
            let now = "\(engine.captureInUse ?? "-")|\(engine.playbackInUse ?? "-")"
            guard shown.withLock({ old in defer { old = now }; return old != now }) else { return }
            if let c = engine.captureInUse, let p = engine.playbackInUse {
                var meta: Logger.Metadata = ["capture": "\(c)", "playback": "\(p)"]
                if let path = engine.audioPath {
                    meta["rates"] = "\(path.captureRate)/\(path.playbackRate) Hz"
                    meta["period"] = "\(path.periodMs) ms"
                    // Without real-time scheduling a busy box can starve the audio (LimitRTPRIO in the unit).
                    meta["scheduling"] = "\(path.realtime ? "SCHED_FIFO" : "normal")"
                }
                log.notice("audio devices", metadata: meta)
            } else if let why = engine.lastDeviceError {
                log.warning("no audio device", metadata: ["reason": "\(why)"])
            } else {
                log.info("audio devices closed")
            }
        }
    }

    /// Binds, starts registering, and handles SIGTERM/SIGINT. Throws when
    /// the sockets cannot be bound.
    func start() throws {
        // Signals first: a SIGTERM that arrives while starting must still
        // mean "unregister and exit 0", never the default kill.
        // A peer that closes a socket or pipe must not kill the daemon (the write just fails).
        signal(SIGPIPE, SIG_IGN)
        for sig in [SIGTERM, SIGINT, SIGHUP] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: stack.queue)
            source.setEventHandler { [weak self] in
                if sig == SIGHUP { self?.reload() } else { self?.shutdown(signal: sig) }
            }
            source.resume()
            signalSources.append(source)
        }
        try stack.queue.sync { () throws in try stack.start() }
        logger.notice("sipendpointd started", metadata: [
            "version": "\(DaemonVersion.string)", "sip_port": "\(stack.transport.port)", "user": "\(config.user)",
            "transport": "\(config.transport.map { "\($0)" } ?? "auto")", "instance": "\(instanceID)",
        ])
        try startControl()
        notifier.ready(status: "starting registrations")
        notifier.startWatchdog(responsive: [stack.queue] + (control.map { [$0.queue] } ?? []))
        stack.queue.async { self.register() }
        trimmer?.schedule(after: .seconds(5))
    }

    /// Keeps each site's registered Contact in the state directory when it changes.
    private func rememberBindings() {
        guard let memory = bindingMemory, let clients = continuity?.channelClients else { return }
        var now = savedBindings
        for (site, client) in clients { if let c = client.registeredContact { now[site] = c } }
        guard now != savedBindings else { return }
        savedBindings = now
        memory.save(now)
    }

    func register() {
        // The process's first registration is a boot: spread like the rest of the fleet's.
        let booting = registrationDialogs.isEmpty
        if savedBindings.isEmpty, let memory = bindingMemory { savedBindings = memory.load() }
        var specs: [(Site, SIPTargetSpec)] = []
        do throws(RegistrationTargetError) {
            specs.append((.preferred, try config.registerTarget()))
            if config.hasPeer { specs.append((.peer, try config.peerTarget())) }
        } catch {
            logger.critical("bad registration target", metadata: ["reason": "\(error)"])
            return
        }
        let dns = DNSResolver(servers: config.dnsServers ?? DNSResolver.systemServers())
        let resolver = SIPTargetResolver(dns: dns, families: config.families)
        let domain = config.aorDomain.trimmingCharacters(in: "[]")
        var registrationConfig = RegistrationConfiguration(
            aor: SIPURI(user: config.user, host: domain), registrarURI: SIPURI(host: domain),
            authUser: config.authUser ?? config.user, password: config.password ?? "", realm: config.authRealm,
            expires: config.regTimeout, retryBase: config.regInterval,
            // A site where nothing listens is tried at the keep-alive cadence, so
            // its return is seen as quickly as a live site's loss.
            unreachableRetry: config.keepAlive?.interval ?? .milliseconds(1500), instanceID: instanceID,
            userAgent: "sipendpointd/\(DaemonVersion.string)")
        registrationConfig.spread = config.fleetSpread
        let channels = specs.map { site, spec -> (Site, RegistrationClient) in
            var log = logger
            log[metadataKey: "site"] = "\(site)"
            // One Call-ID per site for the life of the process, CSeq going on across restarts.
            var siteConfig = registrationConfig
            let dialog = registrationDialogs[site] ?? (RandomSource.system.hex(16), 1)
            registrationDialogs[site] = dialog
            siteConfig.callID = dialog.callID
            siteConfig.firstCSeq = dialog.nextCSeq
            if config.outbound { siteConfig.regID = site == .preferred ? 1 : 2 }
            // What an earlier run left at this site goes in the first REGISTER, with expires=0.
            if let old = savedBindings[site] { siteConfig.staleContacts = [old] }
            return (site, RegistrationClient(configuration: siteConfig, spec: spec, resolver: resolver,
                                             transactions: stack.transactions, random: .system, keepAlive: config.keepAlive,
                                             failoverTimeout: EndpointConfiguration.failoverTransactionTimeout, otherSiteExists: specs.count > 1, logger: log))
        }
        let controller = ContinuityController(channels: channels, minimumStable: config.hysteresis, startupGrace: config.startupGrace, queue: stack.queue, logger: logger,
                                              wallClock: { Date().timeIntervalSince1970 }, monotonic: { ProcessInfo.processInfo.systemUptime })
        continuity = controller
        controller.onChange = { [weak self] state in
            guard let self else { return }
            self.rememberBindings()
            self.notifier.status(Self.summary(state))
            self.trimmer?.schedule(after: .seconds(5))
            self.control?.queue.async { self.control?.broadcast(reason: state.lastEvent) }
        }
        logger.notice(config.hasPeer ? "Business Continuity: preferred and peer sites" : "single site",
                      metadata: ["preferred": "\(specs[0].1)", "peer": "\(specs.count > 1 ? "\(specs[1].1)" : "none")"])
        controller.start(spread: booting)
        let monitor = NetworkMonitor(queue: stack.queue)
        monitor.onChange = { [weak self] why in
            guard let self else { return }
            self.logger.notice("network change: re-registering", metadata: ["reason": "\(why)"])
            dns.flush()
            self.continuity?.networkChanged()
        }
        if !monitor.start() { logger.warning("network change monitoring unavailable (netlink)") }
        network = monitor
    }

    /// Unregisters within the shutdown timeout, then exits 0.
    private func shutdown(signal sig: Int32) {
        guard !stopping else { return }
        stopping = true
        logger.notice("stopping", metadata: ["signal": "\(sig == SIGTERM ? "SIGTERM" : "SIGINT")"])
        notifier.stopping()
        let finish: @Sendable (String) -> Void = { [self] how in
            stack.queue.async { [self] in
                guard !finished else { return }
                finished = true
                logger.notice("stopped", metadata: ["unregister": "\(how)"])
                stack.shutdown()
                exit(0)
            }
        }
        network?.stop()
        // Calls end with BYE before the registrations go.
        calls.hangupAll()
        guard let continuity else { return finish("nothing registered") }
        continuity.stop { finish("done") }
        stack.queue.asyncAfter(deadline: .now() + config.shutdownTimeout.dispatch) { finish("timed out") }
    }
}

extension EndpointService {
    /// One line for systemd's STATUS=: every site's state and the active one.
    static func summary(_ state: ContinuityState) -> String {
        let sites = state.channels.map { c in
            "\(c.site): \(c.state.rawValue)" + (c.target.map { " (\(c.transport.map { "\($0)" } ?? "")://\($0))" } ?? "")
                + (c.state != .registered ? (c.reason.map { " - \($0)" } ?? "") : "")
        }
        return sites.joined(separator: "; ") + "; active: \(state.activeSite.map { "\($0)" } ?? "none (not ready)")"
    }

    static func token(_ c: EndpointConfiguration) -> String? {
        if let t = c.controlToken { return t }
        guard let f = c.controlTokenFile, let text = try? String(contentsOfFile: f, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first.map { String($0).trimmingCharacters(in: " \r") }
    }

    func replaceConfig(_ c: EndpointConfiguration) {
        config = c
        controlToken = Self.token(c)
    }

    /// Redoes the registrations with the current config (after they stop).
    func restartRegistrations(evenIfRunning: Bool) {
        network?.stop()
        guard let old = continuity else { return register() }
        continuity = nil
        // The old controller must live until its unregistrations are answered.
        old.stop { [weak self] in
            withExtendedLifetime(old) {
                guard let self else { return }
                for (site, client) in old.channelClients { self.registrationDialogs[site]?.nextCSeq = client.lastCSeq &+ 1 }
                self.register()
            }
        }
    }

    /// SIGHUP: re-read the file. An invalid config is logged and ignored;
    /// a valid one is applied, redoing the registrations only if their
    /// settings changed (calls are not touched either way).
    func reload() {
        notifier.notify("RELOADING=1")
        defer { notifier.notify("READY=1") }
        switch ConfigLoader.load(path: configPath, overrides: overrides) {
        case .failure(let errors):
            for e in errors.errors { logger.error("reload rejected: config error", metadata: ["reason": "\(e)"]) }
            logger.error("reload rejected; the running config is kept", metadata: ["errors": "\(errors.errors.count)"])
        case .success(let new):
            if new.localAddress != config.localAddress || new.localPort != config.localPort || new.tls != config.tls {
                logger.warning("local sockets and TLS files change only at restart; those settings are kept")
            }
            let changed = new.registrationSignature != config.registrationSignature
            var applied = new
            applied.localAddress = config.localAddress
            applied.localPort = config.localPort
            applied.tls = config.tls
            replaceConfig(applied)
            stack.transactions.timers = applied.timers
            // Device choices apply at once, moving a call's audio; the other media settings need a restart.
            media.engine.update(devices: applied.calls.devices)
            guard changed else {
                logger.notice("reloaded; registration settings unchanged")
                return
            }
            logger.notice("reloaded; registration settings changed, registering again")
            restartRegistrations(evenIfRunning: true)
        }
    }
}

enum DaemonVersion {
    static let string = "0.1.0"
}
