/// An error from parsing or validating a SIP message.
///
/// Modelled on swift-certificates' error structs: a stable ``code`` to switch
/// on, and a human ``reason`` that names what is wrong and where (the byte
/// ``offset`` into the message as received).
public struct SIPParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem this is; stable across releases.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        init(_ name: String) { self.name = name }
        public var description: String { name }

        public static let empty = Code("empty")
        public static let tooLarge = Code("tooLarge")
        public static let incomplete = Code("incomplete")
        public static let badStartLine = Code("badStartLine")
        public static let badVersion = Code("badVersion")
        public static let badStatusCode = Code("badStatusCode")
        public static let badHeader = Code("badHeader")
        public static let badContentLength = Code("badContentLength")
        public static let contentLengthMismatch = Code("contentLengthMismatch")
        public static let missingHeader = Code("missingHeader")
        public static let duplicateHeader = Code("duplicateHeader")
        public static let badHeaderValue = Code("badHeaderValue")
        public static let badURI = Code("badURI")
        public static let cseqMethodMismatch = Code("cseqMethodMismatch")
        public static let tooManyHeaders = Code("tooManyHeaders")
    }

    public var code: Code
    public var reason: String
    /// Byte offset into the received message where the problem was found.
    public var offset: Int
    /// True when the input was a request: the receiver may still answer it
    /// with a 400 if ``partialHeaders`` holds what a response needs.
    public var isRequest: Bool
    /// Header fields read before (or despite) the error, so that a UAS can
    /// still form a 400 response (RFC 3261 §8.2 / §21.4.1).
    public var partialHeaders: SIPHeaders?

    public init(_ code: Code, _ reason: String, offset: Int, isRequest: Bool = false, partialHeaders: SIPHeaders? = nil) {
        self.code = code
        self.reason = reason
        self.offset = offset
        self.isRequest = isRequest
        self.partialHeaders = partialHeaders
    }

    public var description: String { "\(code): \(reason) (at byte \(offset))" }

    public static func == (lhs: SIPParseError, rhs: SIPParseError) -> Bool {
        lhs.code == rhs.code && lhs.reason == rhs.reason && lhs.offset == rhs.offset
    }
    public func hash(into hasher: inout Hasher) { hasher.combine(code); hasher.combine(offset) }
}
