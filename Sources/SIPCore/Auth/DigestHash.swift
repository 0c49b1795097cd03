import CSIPOpenSSL

/// Hash functions a Digest challenge may name (RFC 7616 §3.2), computed by
/// system OpenSSL's EVP interface.
public enum DigestAlgorithm: String, Sendable, CaseIterable {
    case md5 = "MD5"
    case md5Sess = "MD5-sess"
    case sha256 = "SHA-256"
    case sha256Sess = "SHA-256-sess"

    /// Parses the `algorithm` parameter; absent means MD5 (RFC 7616 §3.3).
    public init?(parameter: String?) {
        guard let p = parameter else { self = .md5; return }
        switch p.lowercased() {
        case "md5": self = .md5
        case "md5-sess": self = .md5Sess
        case "sha-256": self = .sha256
        case "sha-256-sess": self = .sha256Sess
        default: return nil
        }
    }

    public var isSession: Bool { self == .md5Sess || self == .sha256Sess }

    /// Lower-case hex of the hash of `text`.
    public func hexHash(_ text: String) -> String {
        let md: OpaquePointer? = (self == .md5 || self == .md5Sess) ? EVP_md5() : EVP_sha256()
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var len: UInt32 = 0
        let bytes = Array(text.utf8)
        let ok = bytes.withUnsafeBufferPointer { b in
            EVP_Digest(b.baseAddress, b.count, &out, &len, md, nil)
        }
        precondition(ok == 1, "EVP_Digest failed")
        let hex = Array("0123456789abcdef".utf8)
        var s = [UInt8]()
        s.reserveCapacity(Int(len) * 2)
        for b in out.prefix(Int(len)) {
            s.append(hex[Int(b >> 4)])
            s.append(hex[Int(b & 0xF)])
        }
        return String(decoding: s, as: UTF8.self)
    }
}
