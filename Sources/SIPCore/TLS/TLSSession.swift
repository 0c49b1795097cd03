import CSIPOpenSSL
import CSIPShims

/// One TLS session over a nonblocking socket — client (SIP transport) or
/// server (HTTPS control port). Owned by one connection and used only on its
/// queue; the `SSL*` never leaves this type.
public final class TLSSession {
    public enum Step: Equatable {
        case done(Int)
        case wantRead
        case wantWrite
        case closed
        case failed(String)
    }

    private let ssl: OpaquePointer
    let serverName: String
    private let verifyPeer: Bool

    /// Server side of a connection accepted on `fd`.
    public init?(server: TLSServerContext, fd: Int32) {
        guard let ssl = SSL_new(server.ctx) else { return nil }
        self.ssl = ssl
        self.serverName = "client"
        self.verifyPeer = false
        SSL_set_fd(ssl, fd)
        SSL_set_accept_state(ssl)
    }

    init?(context: TLSContext, fd: Int32, serverName: String) {
        guard let ssl = SSL_new(context.ctx) else { return nil }
        self.ssl = ssl
        self.serverName = serverName
        self.verifyPeer = context.configuration.verifyPeer
        SSL_set_fd(ssl, fd)
        SSL_set_connect_state(ssl)
        if IPAddressText.isIPLiteral(serverName) {
            // An IP target: the certificate must name that IP (no SNI for IPs).
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName)
        } else {
            // The host name — after SRV, the SRV target's name — never the IP we dialled.
            _ = csip_SSL_set_tlsext_host_name(ssl, serverName)
            SSL_set1_host(ssl, serverName)
        }
    }

    deinit { SSL_free(ssl) }

    public func handshake() -> Step {
        ERR_clear_error()
        let rc = SSL_do_handshake(ssl)
        return rc == 1 ? .done(0) : classify(rc, handshake: true)
    }

    public func read(into buffer: inout [UInt8]) -> Step {
        ERR_clear_error()
        let rc = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
        return rc > 0 ? .done(Int(rc)) : classify(rc, handshake: false)
    }

    public func write(_ bytes: ArraySlice<UInt8>) -> Step {
        ERR_clear_error()
        let rc = bytes.withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
        return rc > 0 ? .done(Int(rc)) : classify(rc, handshake: false)
    }

    /// Best-effort close_notify.
    public func shutdown() {
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
    }

    /// Protocol version and cipher, for the log.
    var negotiated: String {
        let version = SSL_get_version(ssl).map { String(cString: $0) } ?? "?"
        let cipher = SSL_get_current_cipher(ssl).flatMap { SSL_CIPHER_get_name($0) }.map { String(cString: $0) } ?? "?"
        return "\(version) \(cipher)"
    }

    private func classify(_ rc: Int32, handshake: Bool) -> Step {
        switch SSL_get_error(ssl, rc) {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_ZERO_RETURN: return .closed
        case SSL_ERROR_SYSCALL where ERR_peek_error() == 0:
            return handshake ? .failed("TLS handshake failure: connection closed by the server during the handshake") : .closed
        default:
            return .failed(reason(handshake: handshake))
        }
    }

    /// A reason a human understands: what was wrong with which certificate.
    private func reason(handshake: Bool) -> String {
        let verify = Int32(SSL_get_verify_result(ssl))
        let queue = TLSErrors.drain()
        if verifyPeer, verify != csip_X509_V_OK() {
            let detail = String(cString: X509_verify_cert_error_string(Int(verify)))
            switch verify {
            case X509_V_ERR_CERT_HAS_EXPIRED:
                return "server certificate expired (\(serverName)): \(detail)"
            case X509_V_ERR_CERT_NOT_YET_VALID:
                return "server certificate not yet valid (\(serverName)): \(detail)"
            case X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH:
                return "server certificate hostname mismatch: it does not name '\(serverName)'"
            case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
                 X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE,
                 X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
                return "server certificate from an unknown CA (\(serverName)): \(detail)"
            default:
                return "server certificate rejected (\(serverName)): \(detail)"
            }
        }
        let lower = queue.lowercased()
        if lower.contains("certificate required") || lower.contains("alert bad certificate") || lower.contains("alert unknown ca")
            || lower.contains("alert certificate unknown") || lower.contains("alert access denied") {
            return "client certificate rejected by the server (\(serverName)): \(queue)"
        }
        return handshake ? "TLS handshake failure with \(serverName): \(queue)" : "TLS error with \(serverName): \(queue)"
    }
}
