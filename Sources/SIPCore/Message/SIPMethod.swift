#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

    /// The method named by `bytes` (case-sensitive, RFC 3261 §7.1): the
    /// standard ones from a literal, without building a String.
    init(bytes: UnsafeBufferPointer<UInt8>) {
        func spells(_ s: StaticString) -> Bool { CharClass.spells(s, bytes) }
        switch bytes.count {
        case 3 where spells("ACK"): self = .ack
        case 3 where spells("BYE"): self = .bye
        case 4 where spells("INFO"): self = .info
        case 5 where spells("PRACK"): self = .prack
        case 5 where spells("REFER"): self = .refer
        case 6 where spells("INVITE"): self = .invite
        case 6 where spells("CANCEL"): self = .cancel
        case 6 where spells("NOTIFY"): self = .notify
        case 6 where spells("UPDATE"): self = .update
        case 7 where spells("OPTIONS"): self = .options
        case 7 where spells("MESSAGE"): self = .message
        case 7 where spells("PUBLISH"): self = .publish
        case 8 where spells("REGISTER"): self = .register
        case 9 where spells("SUBSCRIBE"): self = .subscribe
        default: self.init(String(decoding: bytes, as: UTF8.self))
        }
    }

    /// Whether `bytes` spell this method.
    func isSpelled(by bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var raw = rawValue
        return raw.withUTF8 { CharClass.sameBytes($0, bytes) }
    }
}
