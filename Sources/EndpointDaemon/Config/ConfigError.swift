/// A configuration problem, naming the key and line (swift-certificates style:
/// a stable code plus a human reason).
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { name }
        public static let syntax = Code(name: "syntax")
        public static let unknownKey = Code(name: "unknownKey")
        public static let duplicateKey = Code(name: "duplicateKey")
        public static let badValue = Code(name: "badValue")
        public static let missingKey = Code(name: "missingKey")
        public static let unsupported = Code(name: "unsupported")
        public static let unreadable = Code(name: "unreadable")
    }

    public var code: Code
    public var key: String?
    /// 1-based line in the file; nil for problems not tied to one line.
    public var line: Int?
    public var reason: String

    public init(_ code: Code, key: String?, line: Int?, _ reason: String) {
        self.code = code
        self.key = key
        self.line = line
        self.reason = reason
    }

    public var description: String {
        var where_ = ""
        if let line { where_ += "line \(line)" }
        if let key { where_ += (where_.isEmpty ? "" : ": ") + key }
        return where_.isEmpty ? reason : "\(where_): \(reason)"
    }
}

/// Every problem found in one pass, so the admin fixes them all at once.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigError]
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
