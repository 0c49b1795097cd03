/// Computes Digest `Authorization` values (RFC 3261 §22.4, RFC 7616 §3.4).
public struct DigestCredentials: Sendable {
    public var username: String
    /// Kept out of every description so it can never reach a log line.
    private var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// The `response` value for a request.
    public func response(challenge: DigestChallenge, method: String, uri: String,
                         cnonce: String, nonceCount: UInt32, qop: String?) -> String {
        let h = challenge.algorithm
        var ha1 = h.hexHash("\(username):\(challenge.realm):\(password)")
        if h.isSession { ha1 = h.hexHash("\(ha1):\(challenge.nonce):\(cnonce)") }
        let ha2 = h.hexHash("\(method):\(uri)")
        if let qop {
            return h.hexHash("\(ha1):\(challenge.nonce):\(Self.nc(nonceCount)):\(cnonce):\(qop):\(ha2)")
        }
        return h.hexHash("\(ha1):\(challenge.nonce):\(ha2)")
    }

    /// The full header value (`Digest username=..., ...`). Uses qop=auth when
    /// offered (auth-int is not needed for REGISTER and not offered alone by
    /// registrars we target); without qop, RFC 2069 compatibility.
    public func authorization(challenge: DigestChallenge, method: String, uri: String,
                              cnonce: String, nonceCount: UInt32) -> String {
        let qop: String? = challenge.qopOptions.contains("auth") ? "auth" : nil
        let resp = response(challenge: challenge, method: method, uri: uri, cnonce: cnonce, nonceCount: nonceCount, qop: qop)
        var parts = [
            "username=\(Self.quote(username))", "realm=\(Self.quote(challenge.realm))",
            "nonce=\(Self.quote(challenge.nonce))", "uri=\(Self.quote(uri))", "response=\(Self.quote(resp))",
            "algorithm=\(challenge.algorithm.rawValue)",
        ]
        if let qop { parts += ["cnonce=\(Self.quote(cnonce))", "qop=\(qop)", "nc=\(Self.nc(nonceCount))"] }
        if let opaque = challenge.opaque { parts.append("opaque=\(Self.quote(opaque))") }
        return "Digest " + parts.joined(separator: ", ")
    }

    static func nc(_ n: UInt32) -> String {
        let hex = String(n, radix: 16)
        return String(repeating: "0", count: max(0, 8 - hex.count)) + hex
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for ch in s.unicodeScalars {
            if ch == "\"" || ch == "\\" { out += "\\" }
            out.unicodeScalars.append(ch)
        }
        return out + "\""
    }
}

extension DigestCredentials: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String { "DigestCredentials(username: \(username), password: <redacted>)" }
    public var debugDescription: String { description }
}
