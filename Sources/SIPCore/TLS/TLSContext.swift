import CSIPOpenSSL
import CSIPShims

/// TLS settings (`sipendpoint.tls.*`).
public struct TLSConfiguration: Sendable, Hashable {
    /// CA bundle (PEM); nil = the system store.
    public var caFile: String?
    /// Client certificate chain and key (PEM) for mutual TLS.
    public var certificateFile: String?
    public var privateKeyFile: String?
    /// Verify the server certificate and host name (default true).
    public var verifyPeer: Bool

    public init(caFile: String? = nil, certificateFile: String? = nil, privateKeyFile: String? = nil, verifyPeer: Bool = true) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
        self.verifyPeer = verifyPeer
    }
}

/// A TLS setup problem found at start, naming the file and why.
public struct TLSSetupError: Error, Sendable, CustomStringConvertible {
    public var file: String?
    public var reason: String
    public var description: String { file.map { "\($0): \(reason)" } ?? reason }
}

/// An OpenSSL `SSL_CTX` for client connections: TLS 1.2 minimum (1.3
/// preferred by OpenSSL's defaults), peer verification on by default.
///
/// `@unchecked Sendable` boundary: the context is configured in `init` and
/// only read afterwards (SSL_new on it is thread-safe); the pointer never
/// leaves this type and ``TLSSession``.
public final class TLSContext: @unchecked Sendable {
    let ctx: OpaquePointer
    public let configuration: TLSConfiguration

    public init(_ configuration: TLSConfiguration) throws(TLSSetupError) {
        guard let ctx = SSL_CTX_new(TLS_client_method()) else { throw TLSSetupError(file: nil, reason: "SSL_CTX_new failed") }
        self.ctx = ctx
        self.configuration = configuration
        _ = csip_SSL_CTX_set_min_tls12(ctx)
        csip_SSL_CTX_set_nonblocking_modes(ctx)
        csip_SSL_CTX_refuse_passphrase(ctx)
        if let ca = configuration.caFile {
            guard SSL_CTX_load_verify_locations(ctx, ca, nil) == 1 else {
                throw TLSSetupError(file: ca, reason: "cannot load the CA file: \(TLSErrors.drain())")
            }
        } else {
            SSL_CTX_set_default_verify_paths(ctx)
        }
        SSL_CTX_set_verify(ctx, configuration.verifyPeer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nil)
        switch (configuration.certificateFile, configuration.privateKeyFile) {
        case (nil, nil):
            break
        case (let cert?, let key?):
            guard SSL_CTX_use_certificate_chain_file(ctx, cert) == 1 else {
                throw TLSSetupError(file: cert, reason: "cannot load the certificate: \(TLSErrors.drain())")
            }
            if TLSContext.isEncryptedKey(key) {
                throw TLSSetupError(file: key, reason: "the private key is encrypted; sipendpointd needs an unencrypted key (protect it with file permissions)")
            }
            guard SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1 else {
                throw TLSSetupError(file: key, reason: "cannot load the private key: \(TLSErrors.drain())")
            }
            guard SSL_CTX_check_private_key(ctx) == 1 else {
                throw TLSSetupError(file: key, reason: "the private key does not match the certificate")
            }
        default:
            throw TLSSetupError(file: nil, reason: "mutual TLS needs both sipendpoint.tls.certificate-file and sipendpoint.tls.private-key-file")
        }
    }

    deinit { SSL_CTX_free(ctx) }

    static func isEncryptedKey(_ path: String) -> Bool {
        guard let f = fopen(path, "r") else { return false }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 256)
        var n = 0
        while n < 64, fgets(&line, Int32(line.count), f) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.contains("ENCRYPTED") { return true }
            n += 1
        }
        return false
    }
}

/// OpenSSL's error queue as text.
enum TLSErrors {
    static func drain() -> String {
        var parts: [String] = []
        while case let e = ERR_get_error(), e != 0 {
            var buf = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(e, &buf, buf.count)
            parts.append(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return parts.isEmpty ? "unknown error" : parts.joined(separator: "; ")
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// An OpenSSL `SSL_CTX` for serving HTTPS (the control port): TLS ≥ 1.2,
/// certificate chain and unencrypted key from PEM files.
///
/// `@unchecked Sendable` boundary: configured in `init`, read-only after.
public final class TLSServerContext: @unchecked Sendable {
    let ctx: OpaquePointer

    public init(certificateFile: String, privateKeyFile: String) throws(TLSSetupError) {
        guard let ctx = SSL_CTX_new(TLS_server_method()) else { throw TLSSetupError(file: nil, reason: "SSL_CTX_new failed") }
        self.ctx = ctx
        _ = csip_SSL_CTX_set_min_tls12(ctx)
        csip_SSL_CTX_set_nonblocking_modes(ctx)
        csip_SSL_CTX_refuse_passphrase(ctx)
        guard SSL_CTX_use_certificate_chain_file(ctx, certificateFile) == 1 else {
            throw TLSSetupError(file: certificateFile, reason: "cannot load the certificate: \(TLSErrors.drain())")
        }
        if TLSContext.isEncryptedKey(privateKeyFile) {
            throw TLSSetupError(file: privateKeyFile, reason: "the private key is encrypted; an unencrypted key is needed")
        }
        guard SSL_CTX_use_PrivateKey_file(ctx, privateKeyFile, SSL_FILETYPE_PEM) == 1, SSL_CTX_check_private_key(ctx) == 1 else {
            throw TLSSetupError(file: privateKeyFile, reason: "cannot load the private key or it does not match: \(TLSErrors.drain())")
        }
    }

    deinit { SSL_CTX_free(ctx) }
}
