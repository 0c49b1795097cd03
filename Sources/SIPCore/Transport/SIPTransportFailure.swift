/// Why a message could not be carried, as transactions and their users see
/// it. The code tells a peer that is simply not there (cheap to try again)
/// from a flow that broke or a local problem.
public struct SIPTransportFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// Nothing listens there: the connect was refused or never completed,
        /// or an ICMP error said the destination is unreachable. Trying again
        /// costs the peer nothing.
        case unreachable
        /// An established (or handshaking) flow ended: closed, reset, TLS failure.
        case closed
        /// Anything else: no socket for the family, a send failed, a bad request.
        case other
    }

    public var code: Code
    /// A human reason naming what failed, for the log and the status API.
    public var reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { reason }
}
