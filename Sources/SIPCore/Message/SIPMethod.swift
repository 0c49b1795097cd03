/// A SIP request method. Methods are case-sensitive tokens (RFC 3261 §7.1);
/// unknown extension methods are kept verbatim.
public struct SIPMethod: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }

    public static let invite: SIPMethod = "INVITE"
    public static let ack: SIPMethod = "ACK"
    public static let bye: SIPMethod = "BYE"
    public static let cancel: SIPMethod = "CANCEL"
    public static let options: SIPMethod = "OPTIONS"
    public static let register: SIPMethod = "REGISTER"
    public static let info: SIPMethod = "INFO"
    public static let update: SIPMethod = "UPDATE"
    public static let prack: SIPMethod = "PRACK"
    public static let subscribe: SIPMethod = "SUBSCRIBE"
    public static let notify: SIPMethod = "NOTIFY"
    public static let refer: SIPMethod = "REFER"
    public static let message: SIPMethod = "MESSAGE"
    public static let publish: SIPMethod = "PUBLISH"

    /// Methods defined by RFC 3261 and its common extensions: a UA knows what
    /// these mean even when it does not implement them (405 rather than 501).
    public static let standard: Set<SIPMethod> = [
        .invite, .ack, .bye, .cancel, .options, .register, .info, .update, .prack,
        .subscribe, .notify, .refer, .message, .publish,
    ]
}
