// A registrar of finite capacity, as the fleet simulation models it: one
// server working through a FIFO queue at `capacity` REGISTERs a second
// (digest: a challenge and the authenticated request are one unit each),
// answering 503 with Retry-After once the queue holds more than
// `queueLimit` seconds of work, and dropping requests outright (the client
// times out) once even the 503s exceed `rejectCapacity` a second. A site
// that is down answers nothing; its host sends ICMP port unreachable.
import SIPCore

public struct RegistrarModel {
    public var capacity: Double
    public let queueLimit: Double
    public let rejectCapacity: Double
    public let retryAfter: Int
    public var down = false
    /// Changes when the registrar restarts: old nonces fail, the table is empty.
    public var epoch = 1
    private(set) var busyUntil = 0.0
    private var rejectSecond = -1
    private var rejectsInSecond = 0.0
    /// Bound endpoints (by index).
    public var bindings: [Bool]

    init(endpoints: Int, capacity: Double, queueLimit: Double, rejectCapacity: Double, retryAfter: Int) {
        self.capacity = capacity
        self.queueLimit = queueLimit
        self.rejectCapacity = rejectCapacity
        self.retryAfter = retryAfter
        bindings = [Bool](repeating: false, count: endpoints)
    }

    enum Outcome {
        case unreachable
        case dropped
        /// Answered at this time (a 503 at once, anything else after the queue).
        case answer(at: Double, SIPMessage)
        /// A retransmission of a request already queued: absorbed.
        case absorbed
    }

    /// A request arriving at `now`; `accepted`: an earlier copy of it was queued.
    mutating func arrive(_ request: SIPMessage, from endpoint: Int, now: Double, accepted: Bool) -> Outcome {
        if down { return .unreachable }
        let backlog = busyUntil - now
        if backlog > queueLimit {
            let second = Int(now)
            if second != rejectSecond { rejectSecond = second; rejectsInSecond = 0 }
            guard rejectsInSecond < rejectCapacity else { return .dropped }
            rejectsInSecond += 1
            var r = SIPResponseBuilder.response(to: request, code: 503, reason: "Service Unavailable", toTag: "r")
            r.headers.append(.retryAfter, String(retryAfter))
            return .answer(at: now + 0.001, r)
        }
        // A retransmission of a queued request costs its parsing, a quarter of a REGISTER.
        let cost = (accepted ? 0.25 : 1) / capacity
        busyUntil = max(now, busyUntil) + cost
        if accepted { return .absorbed }
        return .answer(at: busyUntil, respond(to: request, endpoint: endpoint))
    }

    private mutating func respond(to request: SIPMessage, endpoint: Int) -> SIPMessage {
        let nonce = "n\(epoch)"
        let authorized = request.headers[.authorization].map { $0.contains("nonce=\"\(nonce)\"") } ?? false
        guard authorized else {
            var r = SIPResponseBuilder.response(to: request, code: 401, reason: "Unauthorized", toTag: "r")
            r.headers.append(.wwwAuthenticate, "Digest realm=\"fleet\", nonce=\"\(nonce)\", qop=\"auth\", algorithm=MD5")
            return r
        }
        var r = SIPResponseBuilder.response(to: request, code: 200, reason: "OK", toTag: "r")
        let contacts = request.contacts.compactMap(\.address)
        if let ours = contacts.first {
            let removing = ours.parameters["expires"].flatMap { $0 } == "0"
            bindings[endpoint] = !removing
        }
        if bindings[endpoint], let contact = contacts.first ?? request.headers[.contact].flatMap({ try? SIPNameAddress(parsing: $0) }) {
            var c = contact
            c.parameters.set("expires", request.expires.map(String.init) ?? "1800")
            r.headers.append(.contact, c.description)
        } else if bindings[endpoint] {
            // A binding query: the registrar lists what it holds for the AOR.
            r.headers.append(.contact, "<sip:fleet@198.51.100.1>;expires=600;+sip.instance=\"<urn:uuid:\(Endpoint.instance(endpoint))>\"")
        }
        return r
    }
}
