/// The two Business Continuity sites.
public enum Site: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case preferred, peer
    public var description: String { rawValue }
}

/// Chooses the active site (pure; the clock is passed in as seconds):
/// the preferred site whenever its registration stands, the peer while the
/// preferred is down, and back to the preferred once it has stood for the
/// minimum stable time (hysteresis) — at once if nothing else stands.
public struct SiteSelector: Sendable {
    public enum Event: Sendable {
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
    public private(set) var active: Site?
    private var registered: [Site: Bool] = [.preferred: false, .peer: false]
    private var preferredUpSince: Double?
    /// Switches made so far (the flapping test counts them).
    public private(set) var switches = 0

    public init(minimumStable: Double) { self.minimumStable = minimumStable }

    /// At least one registration stands.
    public var ready: Bool { active != nil }

    public mutating func handle(_ event: Event) -> [Action] {
        switch event {
        case .registration(let site, let up, let now):
            guard registered[site] != up else { return [] }
            registered[site] = up
            if site == .preferred { preferredUpSince = up ? now : nil }
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
            if active == .preferred || active == nil || !peerUp || stableFor >= minimumStable {
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
