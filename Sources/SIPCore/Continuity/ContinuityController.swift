import Dispatch
import Logging

/// One registration channel as status and the control API publish it.
public struct ChannelState: Sendable, Equatable {
    public var site: Site
    /// `host:port` actually used, when resolved.
    public var target: String?
    public var transport: SIPTransportKind?
    public var state: RegistrationStatus.State
    public var reason: String?
    /// Wall-clock seconds since the epoch of the last change.
    public var since: Double
    /// Wall-clock seconds of the last successful registration.
    public var lastSuccess: Double?
    public var expires: UInt32?
}

/// Everything about the registrations at one moment.
public struct ContinuityState: Sendable, Equatable {
    public var channels: [ChannelState]
    public var activeSite: Site?
    /// False until at least one registration stands ("not ready until connected").
    public var ready: Bool
    /// What changed last, with its reason (for event streams and logs).
    public var lastEvent: String?
}

/// Business Continuity: a registration channel per site, kept at all times,
/// and the active site chosen by ``SiteSelector``. Losing a registration
/// never touches calls; it only changes where new requests go.
///
/// `@unchecked Sendable` boundary: every member is used only on `queue`.
public final class ContinuityController: @unchecked Sendable {
    public let queue: DispatchQueue
    private let clients: [(Site, RegistrationClient)]
    private var selector: SiteSelector
    /// The site selector's one timer (hysteresis, start-up grace), on the stack's clock.
    private lazy var timers = TimerScheduler<String>(queue: queue, clock: clients.first?.1.clock ?? DispatchTimerClock())
    private let logger: Logger
    private let wallClock: @Sendable () -> Double
    private let monotonic: @Sendable () -> Double
    public private(set) var state: ContinuityState

    /// Called on every change of a channel or of the active site.
    public var onChange: ((ContinuityState) -> Void)?

    /// `startupGrace`: after a (re)start of the registrations, a preferred
    /// site that registers within this window becomes active at once, even
    /// if the peer answered first (see ``SiteSelector``).
    public init(channels: [(Site, RegistrationClient)], minimumStable: Duration, startupGrace: Duration = .zero, queue: DispatchQueue, logger: Logger,
                wallClock: @escaping @Sendable () -> Double, monotonic: @escaping @Sendable () -> Double) {
        self.clients = channels
        self.queue = queue
        self.selector = SiteSelector(minimumStable: minimumStable.seconds, startupGrace: startupGrace.seconds)
        self.logger = logger
        self.wallClock = wallClock
        self.monotonic = monotonic
        let now = wallClock()
        state = ContinuityState(channels: channels.map { ChannelState(site: $0.0, state: .idle, since: now) }, activeSite: nil, ready: false, lastEvent: nil)
    }

    /// The registration clients, by site (metrics read their counters).
    public var channelClients: [(Site, RegistrationClient)] { clients }

    /// The channel requests should use now (the active site's).
    public var activeClient: RegistrationClient? { clients.first { $0.0 == state.activeSite }?.1 }

    /// Starts every channel; call on `queue`. `spread`: at a random point of
    /// each channel's spread window (boot), else at once.
    public func start(spread: Bool = false) {
        run(selector.handle(.starting(at: monotonic())))
        for (site, client) in clients {
            client.onStatus = { [weak self, weak client] status in
                guard let self, let client else { return }
                self.channelChanged(site, client: client, status: status)
            }
            client.start(spread: spread)
        }
    }

    /// Unregisters every channel, then calls `completion` once.
    public func stop(completion: @escaping () -> Void) {
        timers.cancelAll()
        var left = clients.count
        guard left > 0 else { return completion() }
        for (_, client) in clients {
            client.stop {
                left -= 1
                if left == 0 { completion() }
            }
        }
    }

    /// Every channel re-registers (network change, resume).
    public func networkChanged() {
        run(selector.handle(.starting(at: monotonic())))
        for (_, c) in clients { c.networkChanged() }
    }

    private func channelChanged(_ site: Site, client: RegistrationClient, status: RegistrationStatus) {
        let now = wallClock()
        if let i = state.channels.firstIndex(where: { $0.site == site }) {
            var c = state.channels[i]
            c.state = status.state
            c.reason = status.reason
            c.since = now
            c.expires = status.grantedExpires
            c.target = client.currentTarget.map { "\($0.address)" }
            c.transport = client.currentTarget?.kind
            if status.state == .registered { c.lastSuccess = now }
            state.channels[i] = c
        }
        state.lastEvent = "\(site) \(status.state.rawValue)" + (status.reason.map { ": \($0)" } ?? "")
        run(selector.handle(.registration(site, registered: status.state == .registered, at: monotonic())))
        onChange?(state)
    }

    private func run(_ actions: [SiteSelector.Action]) {
        for action in actions {
            switch action {
            case .cancelTimer:
                timers.cancel("selector")
            case .schedule(let after):
                timers.schedule("selector", after: .milliseconds(Int(after * 1000) + 1)) { [weak self] in
                    guard let self else { return }
                    self.run(self.selector.handle(.timerFired(at: self.monotonic())))
                    self.onChange?(self.state)
                }
            case .activeSiteChanged(let site, let reason):
                let wasReady = state.ready
                state.activeSite = site
                state.lastEvent = "active site \(site.map { "\($0)" } ?? "none"): \(reason)"
                state.ready = site != nil
                logger.notice("active site \(site.map { "\($0)" } ?? "none")", metadata: [
                    "active_site": "\(site.map { "\($0)" } ?? "none")", "reason": "\(reason)", "ready": "\(state.ready)",
                ])
                if wasReady != state.ready { logger.notice(state.ready ? "ready" : "not ready", metadata: ["reason": "\(reason)"]) }
            }
        }
    }
}
