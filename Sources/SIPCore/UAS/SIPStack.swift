import Dispatch
import Logging

/// The assembled signalling stack: transport, transactions and the UAS core
/// on one serial queue, with stateless 400s for requests that fail to parse.
///
/// `@unchecked Sendable` boundary: every member is used only on `queue`.
public final class SIPStack: @unchecked Sendable {
    public let queue: DispatchQueue
    public let transport: SIPTransportLayer
    public let transactions: SIPTransactionLayer
    public var capabilities: UASCapabilities
    let logger: Logger
    let random: RandomSource
    /// The call layer: takes requests that passed the §8.2 checks (new
    /// INVITEs, requests inside its dialogs, CANCEL) and ACKs for 2xx.
    public weak var router: SIPRequestRouter?

    public init(transport configuration: TransportConfiguration, timers: TransactionTimers,
                capabilities: UASCapabilities, random: RandomSource = .system, logger: Logger) {
        let queue = DispatchQueue(label: "sipendpointd.sip")
        self.queue = queue
        self.transport = SIPTransportLayer(configuration: configuration, queue: queue, logger: logger)
        self.transactions = SIPTransactionLayer(transport: transport, timers: timers, logger: logger)
        self.capabilities = capabilities
        self.logger = logger
        self.random = random
    }

    /// Binds sockets and wires the layers; call on `queue`.
    public func start() throws(TransportError) {
        transport.onMessage = { [weak self] inbound in
            self?.traceIn(inbound)
            self?.transactions.receive(inbound)
        }
        transport.onParseError = { [weak self] error, reply in self?.parseError(error, reply: reply) }
        transport.onUnreachable = { [weak self] address, reason in
            self?.transactions.destinationUnreachable(address, reason: reason)
        }
        transport.onConnectionClosed = { [weak self] id, remote, reason in
            self?.transactions.connectionClosed(id: id, remote: remote, reason: reason)
        }
        transactions.onRequest = { [weak self] handle in self?.serve(handle) }
        transactions.onUnmatchable = { [weak self] inbound in
            guard let self, SIPResponseBuilder.canRespond(inbound.message.headers),
                  let response = UASCore.respond(to: inbound.message, capabilities: self.capabilities, toTag: self.random.hex(6)) else { return }
            self.logger.notice("answered request without a usable Via statelessly",
                               metadata: ["from": "\(inbound.source)", "status": "\(response.statusCode ?? 0)"])
            self.transport.send(response, to: inbound.replyDestination)
        }
        transactions.onStray = { [weak self] inbound in
            if inbound.message.method == .ack, let router = self?.router, router.acknowledge(inbound) { return }
            self?.logger.debug("absorbed message outside any transaction",
                               metadata: ["from": "\(inbound.source)", "start": "\(inbound.message.startLineText)"])
        }
        try transport.start()
    }

    public func shutdown() {
        transactions.shutdown()
        transport.shutdown()
    }

    private func serve(_ handle: ServerTransactionHandle) {
        let request = handle.request.message
        if UASCore.check(request, capabilities: capabilities, toTag: random.hex(6)) == nil, let router, router.route(handle) { return }
        guard let response = UASCore.respond(to: request, capabilities: capabilities, toTag: random.hex(6)) else { return }
        logger.info("answered request", metadata: [
            "method": "\(request.requestLine?.method.rawValue ?? "?")", "from": "\(handle.request.source)",
            "status": "\(response.statusCode ?? 0)",
        ])
        handle.respond(response)
    }

    private func parseError(_ error: SIPParseError, reply: TransportDestination) {
        // An ACK is never answered, not even a malformed one (RFC 3261 §17.2.1).
        let isACK = error.partialHeaders?[.cseq].map { $0.uppercased().hasSuffix(" ACK") } ?? false
        guard error.isRequest, !isACK, let headers = error.partialHeaders, SIPResponseBuilder.canRespond(headers) else {
            logger.notice("dropped malformed message", metadata: ["from": "\(reply.address)", "error": "\(error)"])
            return
        }
        var response = SIPResponseBuilder.response(headers: headers, code: 400, reason: "Bad Request - \(error.reason)", toTag: random.hex(6))
        response.headers.append(.server, capabilities.userAgent)
        logger.notice("answered malformed request with 400", metadata: ["from": "\(reply.address)", "error": "\(error)"])
        transport.send(response, to: reply)
    }

    private func traceIn(_ inbound: InboundMessage) {
        guard logger.logLevel <= .debug else { return }
        logger.debug("SIP received", metadata: ["from": "\(inbound.source)", "message": "\(SIPTrace.redacted(inbound.message))"])
    }
}

/// Where requests for calls go (the call layer implements it).
public protocol SIPRequestRouter: AnyObject {
    /// Handles a request that passed RFC 3261 §8.2; false lets the UAS core answer it.
    func route(_ handle: ServerTransactionHandle) -> Bool
    /// An ACK outside any transaction (for a 2xx); false if no call knows it.
    func acknowledge(_ inbound: InboundMessage) -> Bool
}

extension SIPMessage {
    /// The start line as text, for logs.
    public var startLineText: String {
        switch startLine {
        case .request(let r): return "\(r.method) \(r.uri) \(r.version)"
        case .response(let s): return "\(s.version) \(s.code) \(s.reason)"
        }
    }
}

/// SIP message text for traces, with credentials removed.
public enum SIPTrace {
    public static func redacted(_ m: SIPMessage) -> String {
        var copy = m
        for name in [SIPHeaderName.authorization, .proxyAuthorization] where copy.headers.contains(name) {
            let scheme = copy.headers[name]!.split(separator: " ").first.map(String.init) ?? ""
            copy.headers.replaceFirst(name, with: "\(scheme) <redacted>")
            while copy.headers.count(of: name) > 1 {
                copy.headers.remove(name)
                copy.headers.append(name, "\(scheme) <redacted>")
            }
        }
        // SDES keys (a=crypto:... inline:KEY) never reach a log line either.
        copy.body = redactKeys(copy.body)
        return copy.text
    }

    /// `inline:<key material>` → `inline:<redacted>` (up to the next space, `|` or line end).
    static func redactKeys(_ body: [UInt8]) -> [UInt8] {
        let marker = Array("inline:".utf8), stops: Set<UInt8> = [0x20, 0x7C, 0x0D, 0x0A]
        var out: [UInt8] = []
        var i = 0
        while i < body.count {
            if body[i] == marker[0], i + marker.count <= body.count, Array(body[i..<(i + marker.count)]) == marker {
                out += marker + Array("<redacted>".utf8)
                i += marker.count
                while i < body.count, !stops.contains(body[i]) { i += 1 }
            } else {
                out.append(body[i])
                i += 1
            }
        }
        return out
    }
}
