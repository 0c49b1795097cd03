/// The two Business Continuity sites.
public enum Site: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case preferred, peer
    public var description: String { rawValue }
}

/// Chooses the active site (pure; the clock is passed in as seconds):
/// the preferred site whenever its registration stands, the peer while the
/// preferred is down, and back to the preferred once it has stood for the
/// minimum stable time (hysteresis) — at once if nothing else stands.
///
/// The hysteresis protects a return after a loss. When the registrations
/// are (re)started — start-up, a re-register on request or reload, a
/// network change — both sites race, and the peer may answer first: a
/// preferred site that registers within the start-up grace window then
/// takes over at once, as Genesys has it (the preferred site is used
/// whenever it stands).
public struct SiteSelector: Sendable {
    public enum Event: Sendable {
        /// Registrations are starting over: opens the start-up grace window.
        case starting(at: Double)
        case registration(Site, registered: Bool, at: Double)
        /// The hysteresis timer it asked for.
        case timerFired(at: Double)
    }

    public enum Action: Sendable, Equatable {
        case activeSiteChanged(Site?, reason: String)
        case schedule(after: Double)
        case cancelTimer
    }

    public let minimumStable: Double
    public let startupGrace: Double
    public private(set) var active: Site?
    private var registered: [Site: Bool] = [.preferred: false, .peer: false]
    private var preferredUpSince: Double?
    /// End of the current start-up grace window; the preferred site's first
    /// registration in it closes it (a later return is a return).
    private var graceUntil = -Double.infinity
    /// The preferred site's current registration came within the grace window.
    private var preferredCameInGrace = false
    /// Switches made so far (the flapping test counts them).
    public private(set) var switches = 0

    public init(minimumStable: Double, startupGrace: Double = 0) {
        self.minimumStable = minimumStable
        self.startupGrace = startupGrace
    }

    /// At least one registration stands.
    public var ready: Bool { active != nil }

    public mutating func handle(_ event: Event) -> [Action] {
        switch event {
        case .starting(let now):
            graceUntil = now + startupGrace
            return []
        case .registration(let site, let up, let now):
            guard registered[site] != up else { return [] }
            registered[site] = up
            if site == .preferred {
                preferredUpSince = up ? now : nil
                preferredCameInGrace = up && now <= graceUntil
                graceUntil = -Double.infinity
            }
            return evaluate(now: now, cause: "\(site) site \(up ? "registered" : "lost its registration")")
        case .timerFired(let now):
            return evaluate(now: now, cause: "preferred site stable for \(minimumStable) s")
        }
    }

    private mutating func evaluate(now: Double, cause: String) -> [Action] {
        let preferredUp = registered[.preferred] == true, peerUp = registered[.peer] == true
        var target: Site?
        var actions: [Action] = []
        if preferredUp {
            let stableFor = now - (preferredUpSince ?? now)
            if active == .preferred || active == nil || !peerUp || stableFor >= minimumStable || preferredCameInGrace {
                target = .preferred
            } else {
                // Back, but not yet trusted: stay on the peer until it has stood long enough.
                target = .peer
                actions.append(.schedule(after: minimumStable - stableFor))
            }
        } else {
            target = peerUp ? .peer : nil
        }
        if target == .preferred || !preferredUp { actions.insert(.cancelTimer, at: 0) }
        if target != active {
            active = target
            switches += 1
            actions.append(.activeSiteChanged(target, reason: cause))
        }
        return actions
    }
}
