import Dispatch
import Logging

/// Runs a ``RegistrationMachine`` against the network: sends its requests
/// through client transactions to the registrar, fills in Via and Contact
/// from the transport, and runs its timers on the stack's queue.
///
/// `@unchecked Sendable` boundary: every member is used only on `queue`.
public final class RegistrationClient: @unchecked Sendable {
    public let destination: TransportDestination
    private var machine: RegistrationMachine
    private let transactions: SIPTransactionLayer
    private let logger: Logger
    private var timers: [RegistrationMachine.Timer: DispatchWorkItem] = [:]
    private var stopCompletion: (() -> Void)?

    /// Called on every status change.
    public var onStatus: ((RegistrationStatus) -> Void)?

    public init(configuration: RegistrationConfiguration, destination: TransportDestination,
                transactions: SIPTransactionLayer, random: RandomSource, logger: Logger) {
        self.machine = RegistrationMachine(configuration: configuration, random: random)
        self.destination = destination
        self.transactions = transactions
        self.logger = logger
    }

    public var queue: DispatchQueue { transactions.queue }
    public var status: RegistrationStatus { machine.status }

    /// Registers now; call on `queue`.
    public func start() {
        let local = transactions.transport.advertisedAddress(toward: destination.address, kind: destination.kind)
        var contact = SIPURI(user: machine.configuration.aor.user, host: local.ip, port: local.port)
        if destination.kind != .udp { contact.parameters.set("transport", destination.kind.rawValue) }
        run(machine.handle(.start(contact: contact)))
    }

    /// Unregisters, then calls `completion` (at once if nothing is registered).
    /// The caller bounds the wait. Call on `queue`.
    public func stop(completion: @escaping () -> Void) {
        stopCompletion = completion
        run(machine.handle(.stop))
    }

    private func run(_ actions: [RegistrationMachine.Action]) {
        for action in actions {
            switch action {
            case .send(let request):
                send(request)
            case .schedule(let timer, let after):
                timers[timer]?.cancel()
                let item = DispatchWorkItem { [weak self] in
                    guard let self else { return }
                    self.timers[timer] = nil
                    self.run(self.machine.handle(.timerFired(timer)))
                }
                timers[timer] = item
                queue.asyncAfter(deadline: .now() + after.dispatch, execute: item)
                logger.debug("registration timer scheduled", metadata: ["timer": "\(timer)", "after": "\(after)"])
            case .cancel(let timer):
                timers[timer]?.cancel()
                timers[timer] = nil
            case .status(let s):
                var meta: Logger.Metadata = ["registrar": "\(destination)", "state": "\(s.state.rawValue)"]
                if let r = s.reason { meta["reason"] = "\(r)" }
                if let e = s.grantedExpires { meta["expires"] = "\(e)" }
                let level: Logger.Level = (s.state == .authFailed || s.state == .retrying) ? .warning : .notice
                logger.log(level: level, "registration \(s.state.rawValue)", metadata: meta)
                onStatus?(s)
            case .stopped:
                timers.values.forEach { $0.cancel() }
                timers.removeAll()
                let done = stopCompletion
                stopCompletion = nil
                done?()
            }
        }
    }

    private func send(_ request: SIPMessage) {
        var request = request
        let local = transactions.transport.advertisedAddress(toward: destination.address, kind: destination.kind)
        if let first = request.headers[.via], var via = try? SIPVia(parsing: first) {
            via = SIPVia(transport: destination.kind.viaToken, host: local.ip, port: local.port, parameters: via.parameters)
            request.headers.replaceFirst(.via, with: via.description)
        }
        let cseq = (try? request.cseq.number) ?? 0
        logger.debug("sending REGISTER", metadata: ["to": "\(destination)", "cseq": "\(cseq)"])
        transactions.sendRequest(request, to: destination) { [weak self] result in
            guard let self else { return }
            switch result {
            case .provisional:
                break
            case .final(let r):
                self.run(self.machine.handle(.response(r)))
            case .timeout:
                self.run(self.machine.handle(.failure("no response from \(self.destination) (timeout)")))
            case .transportError(let why):
                self.run(self.machine.handle(.failure("transport error toward \(self.destination): \(why)")))
            }
        }
    }
}
