import FoundationEssentials

/// The JSON bodies the control port takes, decoded with `JSONDecoder`.
enum ControlRequest {
    /// A JSON scalar: what a setting, a volume or a flag may be written as.
    enum Scalar: Decodable, Equatable {
        case string(String), bool(Bool), integer(Int), number(Double)

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { self = .bool(b) } else if let i = try? c.decode(Int.self) { self = .integer(i) }
            else if let d = try? c.decode(Double.self) { self = .number(d) } else { self = .string(try c.decode(String.self)) }
        }

        /// As a config value: strings as they are, numbers and booleans spelled out.
        var setting: String {
            switch self {
            case .string(let s): s
            case .bool(let b): b ? "true" : "false"
            case .integer(let i): String(i)
            case .number(let d): Text.figure(d)
            }
        }
    }

    /// `POST /v1/calls`.
    struct PlaceCall: Decodable { let to: String }
    /// `POST /v1/calls/{id}/dtmf`.
    struct DTMF: Decodable { let digits: String }

    /// `body` as `T`, or nil when it is not (the caller answers 400 with what it expected).
    static func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8]) -> T? {
        try? JSONDecoder().decode(T.self, from: Data(body))
    }
}
