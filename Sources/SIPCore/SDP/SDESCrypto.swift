/// One RFC 4568 SDES attribute: `a=crypto:<tag> <suite> inline:<key||salt>[|lifetime][|MKI:len] [session params]`.
///
/// The key never appears in ``description`` (logs); ``attributeValue``
/// writes it for the SDP body only.
public struct SDESCrypto: Sendable, Hashable, CustomStringConvertible {
    /// The suites this endpoint implements (libsrtp2), with their master key and salt sizes.
    public enum Suite: String, Sendable, Hashable, CaseIterable {
        case aesCM128HmacSha1_80 = "AES_CM_128_HMAC_SHA1_80"
        case aesCM128HmacSha1_32 = "AES_CM_128_HMAC_SHA1_32"
        case aeadAES128GCM = "AEAD_AES_128_GCM"
        case aeadAES256GCM = "AEAD_AES_256_GCM"

        /// Master key + master salt, in bytes (RFC 4568 §6.2, RFC 7714 §12).
        public var keyMaterialLength: Int {
            switch self {
            case .aesCM128HmacSha1_80, .aesCM128HmacSha1_32: 30
            case .aeadAES128GCM: 28
            case .aeadAES256GCM: 44
            }
        }
    }

    public var tag: Int
    /// The suite as written; nil `suite` means one we do not implement.
    public var suiteName: String
    public var suite: Suite? { Suite(rawValue: suiteName) }
    /// Master key || master salt.
    public var keyMaterial: [UInt8]
    /// `|2^31` style lifetime, kept as written.
    public var lifetime: String?
    /// `|1:4`: MKI value and length (not used by this endpoint: offers with one are skipped).
    public var mki: String?
    public var sessionParameters: [String]

    public init(tag: Int, suite: Suite, keyMaterial: [UInt8]) {
        self.tag = tag
        self.suiteName = suite.rawValue
        self.keyMaterial = keyMaterial
        self.sessionParameters = []
    }

    /// Parses the value after `a=crypto:`.
    public init(parsing value: String) throws(SDPError) {
        let fields = value.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 3, let tag = Int(fields[0]), tag >= 0, tag <= 999_999_999 else {
            throw SDPError(.badValue, "crypto attribute needs '<tag> <suite> inline:<key>'")
        }
        self.tag = tag
        self.suiteName = String(fields[1])
        // Several key-params may be separated by ';' (RFC 4568 §9.2); the first is used.
        guard let keyParam = fields[2].split(separator: ";").first, keyParam.hasPrefix("inline:") else {
            throw SDPError(.badValue, "crypto key parameters must start with 'inline:'")
        }
        let parts = keyParam.dropFirst("inline:".count).split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count <= 3, let key = Base64.decode(parts[0]) else {
            throw SDPError(.badValue, "crypto key is not valid base64")
        }
        if let suite = Suite(rawValue: suiteName), key.count != suite.keyMaterialLength {
            throw SDPError(.badValue, "crypto key for \(suiteName) must be \(suite.keyMaterialLength) bytes, got \(key.count)")
        }
        keyMaterial = key
        lifetime = nil
        mki = nil
        for p in parts.dropFirst() {
            if p.contains(":") { mki = String(p) } else { lifetime = String(p) }
        }
        sessionParameters = fields.dropFirst(3).map(String.init)
    }

    /// The attribute value with the key (for the SDP body only).
    public var attributeValue: String {
        var key = "inline:" + Base64.encode(keyMaterial)
        if let lifetime { key += "|" + lifetime }
        if let mki { key += "|" + mki }
        return ([String(tag), suiteName, key] + sessionParameters).joined(separator: " ")
    }

    /// Safe to log: the key is left out.
    public var description: String { "crypto \(tag) \(suiteName) inline:<redacted>" }
}

/// RFC 4648 base64 with padding, for SDES keys (no Foundation on this path).
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let b0 = bytes[i], b1 = i + 1 < bytes.count ? bytes[i + 1] : 0, b2 = i + 2 < bytes.count ? bytes[i + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(i + 1 < bytes.count ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// nil for anything that is not canonical padded base64.
    static func decode<S: StringProtocol>(_ text: S) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard !chars.isEmpty, chars.count % 4 == 0, chars.count <= 4096 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 4 * 3)
        var i = 0
        while i < chars.count {
            var v: UInt32 = 0
            var pad = 0
            for j in 0..<4 {
                let c = chars[i + j]
                let d: UInt32
                switch c {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): d = UInt32(c - UInt8(ascii: "A"))
                case UInt8(ascii: "a")...UInt8(ascii: "z"): d = UInt32(c - UInt8(ascii: "a") + 26)
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0") + 52)
                case UInt8(ascii: "+"): d = 62
                case UInt8(ascii: "/"): d = 63
                case UInt8(ascii: "=") where i + 4 == chars.count && j >= 2: d = 0; pad += 1
                default: return nil
                }
                if pad > 0 && c != UInt8(ascii: "=") { return nil }
                v = v << 6 | d
            }
            out.append(UInt8(v >> 16 & 0xFF))
            if pad < 2 { out.append(UInt8(v >> 8 & 0xFF)) }
            if pad < 1 { out.append(UInt8(v & 0xFF)) }
            i += 4
        }
        return out
    }
}
