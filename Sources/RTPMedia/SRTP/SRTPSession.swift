import CSIPSRTP
import Synchronization

/// The SRTP suites, numbered as the C shim numbers them.
public enum SRTPSuite: Int32, Sendable, Hashable, CaseIterable {
    case aesCM128HmacSha1_80 = 0
    case aesCM128HmacSha1_32 = 1
    case aeadAES128GCM = 2
    case aeadAES256GCM = 3

    /// Master key + salt bytes.
    public var keyLength: Int {
        switch self {
        case .aesCM128HmacSha1_80, .aesCM128HmacSha1_32: 30
        case .aeadAES128GCM: 28
        case .aeadAES256GCM: 44
        }
    }

    /// Bytes SRTP adds to an RTP packet (auth tag), and to RTCP (tag + 4-byte index).
    public var rtpOverhead: Int { self == .aesCM128HmacSha1_32 ? 4 : self == .aesCM128HmacSha1_80 ? 10 : 16 }
    public var rtcpOverhead: Int { (self == .aesCM128HmacSha1_32 ? 10 : rtpOverhead) + 4 }
}

/// One direction of SRTP/SRTCP (RFC 3711, RFC 7714) over libsrtp2: an
/// outbound session protects what we send, an inbound one checks and
/// decrypts what arrives (replay window included). Packets are transformed
/// in place in the caller's buffer, which must have room for the tag.
///
/// `@unchecked Sendable` boundary: the `srtp_t` is used by one thread at a
/// time (the media thread that owns the stream); the key copy is wiped.
public final class SRTPSession: @unchecked Sendable {
    private var session: srtp_t?
    public let suite: SRTPSuite
    /// Packets refused by authentication or the replay check.
    public private(set) var authenticationFailures = 0
    public private(set) var replays = 0

    private static let initialised: Result<Void, MediaError> = {
        let rc = srtp_init()
        return rc == srtp_err_status_ok ? .success(()) : .failure(MediaError(.library, "srtp_init failed (\(rc.rawValue))"))
    }()

    /// Initialises libsrtp now (once per process): its start-up self-tests
    /// take about 20 ms, which a daemon pays at start rather than in the
    /// first SRTP call's answer. Sessions made later find it done.
    public static func initialiseLibrary() throws(MediaError) { try initialised.get() }

    /// `key`: master key || master salt, `suite.keyLength` bytes.
    public init(suite: SRTPSuite, key: [UInt8], inbound: Bool, replayWindow: Int = 1024) throws(MediaError) {
        try Self.initialised.get()
        guard key.count == suite.keyLength else {
            throw MediaError(.unsupported, "SRTP \(suite) needs \(suite.keyLength) bytes of key and salt, got \(key.count)")
        }
        self.suite = suite
        var s: srtp_t?
        let rc = key.withUnsafeBufferPointer { k in csip_srtp_create(&s, suite.rawValue, k.baseAddress, inbound ? 1 : 0, UInt(replayWindow)) }
        guard rc == 0, let s else { throw MediaError(.library, "SRTP session for \(suite) could not be created (libsrtp \(rc))") }
        session = s
    }

    deinit { if let session { srtp_dealloc(session) } }

    /// Protects an RTP packet of `length` bytes in `buffer`; returns the new length.
    public func protect(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(MediaError) -> Int {
        try outbound(buffer, length, room: suite.rtpOverhead, what: "SRTP") { srtp_protect($0, $1, $2) }
    }

    public func protectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(MediaError) -> Int {
        try outbound(buffer, length, room: suite.rtcpOverhead, what: "SRTCP") { srtp_protect_rtcp($0, $1, $2) }
    }

    /// Checks and decrypts an SRTP packet in place; returns the RTP length.
    public func unprotect(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(MediaError) -> Int {
        try inbound(buffer, length, what: "SRTP") { srtp_unprotect($0, $1, $2) }
    }

    public func unprotectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(MediaError) -> Int {
        try inbound(buffer, length, what: "SRTCP") { srtp_unprotect_rtcp($0, $1, $2) }
    }

    private typealias Transform = (srtp_t?, UnsafeMutableRawPointer, UnsafeMutablePointer<Int32>) -> srtp_err_status_t

    private func outbound(_ buffer: UnsafeMutableRawBufferPointer, _ length: Int, room: Int, what: String, _ fn: Transform) throws(MediaError) -> Int {
        guard length + room <= buffer.count, let base = buffer.baseAddress else { throw MediaError(.unsupported, "no room for the \(what) tag") }
        var len = Int32(length)
        let rc = fn(session, base, &len)
        guard rc == srtp_err_status_ok else { throw MediaError(.library, "\(what) protect failed (\(rc.rawValue))") }
        return Int(len)
    }

    private func inbound(_ buffer: UnsafeMutableRawBufferPointer, _ length: Int, what: String, _ fn: Transform) throws(MediaError) -> Int {
        guard let base = buffer.baseAddress, length <= buffer.count else { throw MediaError(.truncated, "\(what) packet exceeds its buffer") }
        var len = Int32(length)
        let rc = fn(session, base, &len)
        switch rc {
        case srtp_err_status_ok:
            return Int(len)
        case srtp_err_status_replay_fail, srtp_err_status_replay_old:
            replays += 1
            throw MediaError(.unauthentic, "\(what) replay refused")
        default:
            authenticationFailures += 1
            throw MediaError(.unauthentic, "\(what) packet refused (libsrtp \(rc.rawValue))")
        }
    }
}
