/// An error from parsing SDP (RFC 8866) or from offer/answer (RFC 3264).
///
/// A stable ``code`` to switch on (it also picks the SIP answer: 400 for a
/// body that does not parse, 488 for one that parses but cannot be
/// accepted), and a ``reason`` that names what and where (the 1-based line).
public struct SDPError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The text is not SDP: bad line syntax, a missing or misplaced mandatory line.
        public static let syntax = Code("syntax")
        /// More lines, media or attributes than the limits allow.
        public static let tooLarge = Code("tooLarge")
        /// A value that does not parse (port, payload type, address ...).
        public static let badValue = Code("badValue")
        /// Valid SDP we cannot accept: no common codec, no address, SRTP policy.
        public static let notAcceptable = Code("notAcceptable")
        /// An answer that does not match our offer (RFC 3264 §6).
        public static let answerMismatch = Code("answerMismatch")
    }

    public var code: Code
    public var reason: String
    /// 1-based line of the problem, when it is tied to one.
    public var line: Int?

    public init(_ code: Code, _ reason: String, line: Int? = nil) {
        self.code = code
        self.reason = reason
        self.line = line
    }

    public var description: String { line.map { "\(code): \(reason) (SDP line \($0))" } ?? "\(code): \(reason)" }

    /// The SIP status this error answers an offer with (RFC 3261 §21.4.26, RFC 3264 §6).
    public var sipStatus: Int { code == .notAcceptable || code == .answerMismatch ? 488 : 400 }
}
