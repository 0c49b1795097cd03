/// A `WWW-Authenticate` / `Proxy-Authenticate` Digest challenge
/// (RFC 3261 §22.4, RFC 7616 §3.3).
public struct DigestChallenge: Hashable, Sendable {
    public var realm: String
    public var nonce: String
    public var opaque: String?
    public var algorithm: DigestAlgorithm
    /// qop options offered, lower-cased (`auth`, `auth-int`).
    public var qopOptions: [String]
    public var stale: Bool

    public init(realm: String, nonce: String, opaque: String? = nil, algorithm: DigestAlgorithm = .md5,
                qopOptions: [String] = [], stale: Bool = false) {
        self.realm = realm
        self.nonce = nonce
        self.opaque = opaque
        self.algorithm = algorithm
        self.qopOptions = qopOptions
        self.stale = stale
    }

    /// Parses one challenge value; nil for other schemes or an algorithm we
    /// do not implement (the caller then looks at the next challenge).
    public init?(parsing value: String) {
        guard let params = AuthParams.parse(value, scheme: "digest") else { return nil }
        guard let realm = params["realm"], let nonce = params["nonce"],
              let alg = DigestAlgorithm(parameter: params["algorithm"]) else { return nil }
        self.init(realm: realm, nonce: nonce, opaque: params["opaque"], algorithm: alg,
                  qopOptions: (params["qop"] ?? "").split(separator: ",").map { String($0).trimmingWhitespace.lowercased() }.filter { !$0.isEmpty },
                  stale: params["stale"]?.lowercased() == "true")
    }

    /// The strongest usable challenge among a response's challenge headers:
    /// SHA-256 over MD5 (RFC 7616 §3.7 and RFC 8760 ask clients to prefer it).
    public static func best(in values: [String]) -> DigestChallenge? {
        let parsed = values.compactMap(DigestChallenge.init(parsing:))
        return parsed.first { $0.algorithm == .sha256 || $0.algorithm == .sha256Sess } ?? parsed.first
    }
}

/// `scheme auth-param *("," auth-param)` (RFC 3261 §25.1 challenge/credentials).
enum AuthParams {
    static func parse(_ value: String, scheme: String) -> [String: String]? {
        HeaderScanner.scan(value, header: "authentication") { s -> [String: String]? in
            s.skipLWS()
            guard let sch = s.token(), sch.lowercased() == scheme else { return nil }
            var out: [String: String] = [:]
            while true {
                s.skipLWS()
                if s.atEnd { break }
                guard let name = s.token() else { return nil }
                s.skipLWS()
                guard s.consume(UInt8(ascii: "=")) else { return nil }
                s.skipLWS()
                if s.peek == UInt8(ascii: "\"") {
                    guard let v = try? s.quotedString() else { return nil }
                    out[name.lowercased()] = v
                } else if let v = s.run(while: { $0 != UInt8(ascii: ",") && !CharClass.isWhitespace($0) }) {
                    out[name.lowercased()] = s.string(v)
                } else {
                    return nil
                }
                s.skipLWS()
                if !s.consume(UInt8(ascii: ",")) { break }
            }
            s.skipLWS()
            return s.atEnd ? out : nil
        }
    }
}
