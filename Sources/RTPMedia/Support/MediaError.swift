/// An error of the media engine: a stable ``code`` and a ``reason`` that
/// names what and where (packet, stream, device).
public struct MediaError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A packet too short or with inconsistent lengths.
        public static let truncated = Code("truncated")
        /// Not RTP/RTCP version 2, or a field out of range.
        public static let malformed = Code("malformed")
        /// A codec, SRTP or device call failed.
        public static let library = Code("library")
        /// Authentication (SRTP) or replay check failed.
        public static let unauthentic = Code("unauthentic")
        /// No audio device matched the configuration.
        public static let noDevice = Code("noDevice")
        /// A setting the engine cannot honour.
        public static let unsupported = Code("unsupported")
    }

    public var code: Code
    public var reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code): \(reason)" }
}
