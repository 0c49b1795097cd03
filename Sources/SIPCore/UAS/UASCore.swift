/// What the endpoint supports, for Allow/Accept/Supported and the §8.2 checks.
public struct UASCapabilities: Sendable {
    public var allowed: [SIPMethod]
    public var accepted: [String]
    public var supported: [String]
    public var userAgent: String

    public init(allowed: [SIPMethod] = [.invite, .ack, .cancel, .bye, .options],
                accepted: [String] = ["application/sdp"], supported: [String] = ["path"],
                userAgent: String = "sipendpointd") {
        self.allowed = allowed
        self.accepted = accepted
        self.supported = supported
        self.userAgent = userAgent
    }
}

/// The UAS core's answer to requests that reach the endpoint outside a
/// dialog (RFC 3261 §8.2), as a pure function of the request: version,
/// method, URI scheme, Require, content, then the method itself.
public enum UASCore {
    /// The response to send, or nil when nothing is sent (ACK).
    public static func respond(to request: SIPMessage, capabilities: UASCapabilities, toTag: String) -> SIPMessage? {
        if let refusal = check(request, capabilities: capabilities, toTag: toTag) { return refusal }
        guard let line = request.requestLine, line.method != .ack else { return nil }
        func reply(_ code: Int, _ reason: String, _ extra: [(SIPHeaderName, String)] = []) -> SIPMessage {
            response(to: request, code, reason, extra, capabilities: capabilities, toTag: toTag)
        }
        let allow = capabilities.allowed.map(\.rawValue).joined(separator: ", ")
        switch line.method {
        case .options:
            return reply(200, "OK", [(.allow, allow), (.accept, capabilities.accepted.joined(separator: ", ")),
                                     (.supported, capabilities.supported.joined(separator: ", "))])
        case .invite:
            // No call layer took it (or none can take a call now).
            return reply(480, "Temporarily Unavailable")
        case .bye, .cancel, .notify, .info, .update:
            return reply(481, "Call/Transaction Does Not Exist")
        default:
            return reply(405, "Method Not Allowed", [(.allow, allow)])
        }
    }

    /// The RFC 3261 §8.2 checks every request passes before anything acts
    /// on it: version, method, URI scheme, Require, content (and, for an
    /// INVITE, an Accept that allows SDP). Returns the refusal, or nil when
    /// the request may go on to its handler (ACK never gets a response).
    public static func check(_ request: SIPMessage, capabilities: UASCapabilities, toTag: String) -> SIPMessage? {
        guard let line = request.requestLine else { return nil }
        if line.method == .ack { return nil }
        func reply(_ code: Int, _ reason: String, _ extra: [(SIPHeaderName, String)] = []) -> SIPMessage {
            response(to: request, code, reason, extra, capabilities: capabilities, toTag: toTag)
        }
        let allow = capabilities.allowed.map(\.rawValue).joined(separator: ", ")
        if line.version != "SIP/2.0" { return reply(505, "Version Not Supported") }
        // §8.2.1 before full validation: an unknown method gets 501 even when
        // its CSeq disagrees (RFC 4475 §3.1.2.18).
        let known = SIPMethod.standard.contains(line.method)
        if !known, SIPResponseBuilder.canRespond(request.headers) { return reply(501, "Not Implemented", [(.allow, allow)]) }
        do {
            try request.validate()
        } catch {
            return reply(400, "Bad Request - \(error.reason)")
        }
        if !capabilities.allowed.contains(line.method) { return reply(405, "Method Not Allowed", [(.allow, allow)]) }
        // §8.2.2.1: schemes this UA cannot use.
        switch line.uri.scheme {
        case .sip, .sips, .tel: break
        case .other: return reply(416, "Unsupported URI Scheme")
        }
        // §8.2.2.3: Require options we do not implement.
        let unsupported = request.optionTags(.require).filter { !capabilities.supported.contains($0.lowercased()) }
        if !unsupported.isEmpty, line.method != .cancel {
            return reply(420, "Bad Extension", [(.unsupported, unsupported.joined(separator: ", "))])
        }
        // §8.2.3: content we cannot process.
        if !request.body.isEmpty {
            let type = (request.headers[.contentType] ?? "").split(separator: ";").first.map { String($0).trimmingWhitespace.lowercased() } ?? ""
            if !capabilities.accepted.contains(type) {
                return reply(415, "Unsupported Media Type", [(.accept, capabilities.accepted.joined(separator: ", "))])
            }
            if let enc = request.headers[.contentEncoding], !enc.trimmingWhitespace.isEmpty, enc.lowercased() != "identity" {
                return reply(415, "Unsupported Media Type", [(.acceptEncoding, "identity")])
            }
        }
        // An answer must be SDP (RFC 3261 §13.3.1.1 / RFC 4475 §3.3.15).
        if line.method == .invite, request.headers.contains(.accept), !acceptsSDP(request.headers.values(.accept)) {
            return reply(406, "Not Acceptable", [(.accept, capabilities.accepted.joined(separator: ", "))])
        }
        return nil
    }

    static func response(to request: SIPMessage, _ code: Int, _ reason: String, _ extra: [(SIPHeaderName, String)],
                         capabilities: UASCapabilities, toTag: String) -> SIPMessage {
        var r = SIPResponseBuilder.response(to: request, code: code, reason: reason, toTag: toTag)
        for (n, v) in extra { r.headers.append(n, v) }
        r.headers.append(.server, capabilities.userAgent)
        return r
    }

    static func acceptsSDP(_ values: [String]) -> Bool {
        values.contains { v in
            let type = v.split(separator: ";").first.map { String($0).trimmingWhitespace.lowercased() } ?? ""
            return type == "application/sdp" || type == "application/*" || type == "*/*"
        }
    }
}
