import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One TCP (or TLS-over-TCP) connection carrying SIP: nonblocking connect,
/// an optional nonblocking TLS handshake, a read source that frames
/// messages, and a write queue drained by a write source when the kernel
/// (or TLS) buffer is full.
///
/// `@unchecked Sendable` boundary: used only on `queue`, which owns the fd
/// and both sources.
final class TCPConnection: @unchecked Sendable {
    enum State { case connecting, handshaking, open, closed }

    let id: UInt64
    let queue: DispatchQueue
    let remote: SocketAddress
    private(set) var local: SocketAddress?
    let outbound: Bool
    private(set) var state: State
    private(set) var lastActivity = DispatchTime.now()
    private let fd: Int32
    private var framer: SIPStreamFramer
    private var pending: [UInt8] = []
    private var readSource: DispatchSource?
    private var writeSource: DispatchSource?
    private var liveSources = 0
    private var readBuffer = [UInt8](repeating: 0, count: 16_384)
    /// Set for TLS connections.
    private var tls: TLSSession?
    /// TLS needs the socket readable before a pending write can go on.
    private var writeWaitsForRead = false
    /// A connect that failed at once (loopback often refuses synchronously);
    /// reported from `start` like one that fails later, so both reach the
    /// transactions the same way, as "nobody there".
    private var immediateConnectError: Int32?
    var isTLS: Bool { tls != nil }

    /// Called with each frame; and once with a reason when the connection ends.
    var onFrame: ((TCPConnection, SIPStreamFramer.Frame) -> Void)?
    var onClose: ((TCPConnection, SIPTransportFailure) -> Void)?
    var onOpen: ((TCPConnection) -> Void)?

    /// Wraps an accepted fd.
    init(id: UInt64, acceptedFD fd: Int32, remote: SocketAddress, queue: DispatchQueue, limits: SIPParserLimits) {
        self.id = id
        self.fd = fd
        self.remote = remote
        self.queue = queue
        self.outbound = false
        self.state = .open
        self.framer = SIPStreamFramer(limits: limits)
        self.local = SocketOps.localAddress(fd)
    }

    /// Starts a nonblocking connect to `remote`.
    init(id: UInt64, connectTo remote: SocketAddress, from bindAddress: SocketAddress?, queue: DispatchQueue,
         limits: SIPParserLimits, tls: (TLSContext, String)? = nil) throws(TransportError) {
        let fd = try SocketOps.open(remote.family, stream: true)
        if let bindAddress, bindAddress.family == remote.family {
            // Same local port as the listener when possible, so the peer sees
            // the port our Contact advertises; otherwise any port.
            var on: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
            _ = bindAddress.withSockAddr { Glibc.bind(fd, $0, $1) }
        }
        let rc = remote.withSockAddr { connect(fd, $0, $1) }
        let connectErrno = rc != 0 && errno != EINPROGRESS ? errno : nil
        self.id = id
        self.fd = fd
        self.remote = remote
        self.queue = queue
        self.outbound = true
        self.state = rc == 0 ? .open : .connecting
        self.immediateConnectError = connectErrno
        self.framer = SIPStreamFramer(limits: limits)
        if let (context, name) = tls {
            guard let session = TLSSession(context: context, fd: fd, serverName: name) else {
                Glibc.close(fd)
                throw TransportError(operation: "TLS", address: remote.description, reason: "SSL_new failed")
            }
            self.tls = session
            if state == .open { state = .handshaking }
        }
    }

    /// Starts the sources; call on `queue` after setting the callbacks.
    func start() {
        if let e = immediateConnectError {
            // Asynchronously, so the failure never nests inside the send that opened us.
            queue.async { self.fail("connect failed: \(errnoText(e))") }
            return
        }
        let rs = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue) as! DispatchSource
        rs.setEventHandler { [weak self] in self?.readable() }
        install(rs)
        readSource = rs
        rs.resume()
        if state == .connecting {
            armWriteSource()
        } else if state == .handshaking {
            local = SocketOps.localAddress(fd)
            driveHandshake()
        } else {
            local = SocketOps.localAddress(fd)
            onOpen?(self)
        }
    }

    /// Advances the TLS handshake; on success the connection opens and any
    /// queued request goes out.
    private func driveHandshake() {
        guard let tls, state == .handshaking else { return }
        switch tls.handshake() {
        case .done:
            state = .open
            onOpen?(self)
            flush()
        case .wantWrite:
            armWriteSource()
        case .wantRead:
            disarmWriteSource()
        case .closed:
            fail("TLS handshake failure: connection closed during the handshake")
        case .failed(let why):
            fail(why)
        }
    }

    private func install(_ source: DispatchSource) {
        liveSources += 1
        let fd = self.fd
        // The fd is closed only when the last source using it is cancelled.
        source.setCancelHandler { [self] in
            liveSources -= 1
            if liveSources == 0 { Glibc.close(fd) }
        }
    }

    private func armWriteSource() {
        guard writeSource == nil else { return }
        let ws = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: queue) as! DispatchSource
        ws.setEventHandler { [weak self] in self?.writable() }
        install(ws)
        writeSource = ws
        ws.resume()
    }

    private func disarmWriteSource() {
        writeSource?.cancel()
        writeSource = nil
    }

    private func writable() {
        if state == .connecting {
            let err = SocketOps.pendingError(fd)
            guard err == 0 else { return fail("connect failed: \(errnoText(err))") }
            local = SocketOps.localAddress(fd)
            if tls != nil {
                state = .handshaking
                return driveHandshake()
            }
            state = .open
            onOpen?(self)
        }
        if state == .handshaking { return driveHandshake() }
        flush()
    }

    /// Queues bytes and writes what the kernel takes now.
    func send(_ bytes: [UInt8]) {
        guard state != .closed else { return }
        pending.append(contentsOf: bytes)
        if state == .open { flush() }
    }

    private func flush() {
        guard state == .open else { return }
        while !pending.isEmpty {
            if let tls {
                switch tls.write(pending[...]) {
                case .done(let n): pending.removeFirst(n)
                case .wantWrite: armWriteSource(); return
                case .wantRead: writeWaitsForRead = true; disarmWriteSource(); return
                case .closed: return fail("TLS connection closed by peer")
                case .failed(let why): return fail(why)
                }
                continue
            }
            let n = pending.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK { armWriteSource(); return }
                return fail("send failed: \(errnoText())")
            }
            pending.removeFirst(n)
        }
        disarmWriteSource()
    }

    private func readable() {
        if state == .handshaking { return driveHandshake() }
        if state == .connecting {
            // Readable before writable: the connect failed (refused, reset).
            let err = SocketOps.pendingError(fd)
            if err != 0 { return fail("connect failed: \(errnoText(err))") }
            return
        }
        if let tls { return readTLS(tls) }
        let n = readBuffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { return fail("closed by peer") }
        if n < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return }
            return fail("\(state == .connecting ? "connect" : "receive") failed: \(errnoText())")
        }
        received(n)
    }

    /// Reads every record TLS has ready (its buffer may hold more than the
    /// socket signals), then lets a write that waited for a read go on.
    private func readTLS(_ tls: TLSSession) {
        // Bounded: each pass consumes socket bytes or stops.
        for _ in 0..<64 {
            switch tls.read(into: &readBuffer) {
            case .done(let n):
                received(n)
                if state == .closed { return }
            case .wantRead, .wantWrite:
                if writeWaitsForRead { writeWaitsForRead = false; flush() }
                return
            case .closed:
                return fail("closed by peer")
            case .failed(let why):
                return fail(why)
            }
        }
    }

    private func received(_ n: Int) {
        lastActivity = .now()
        framer.append(readBuffer[0..<n])
        // Bounded by the bytes just received: every frame consumes input.
        while state != .closed {
            do {
                guard let frame = try framer.next() else { break }
                if case .ping = frame { send([0x0D, 0x0A]) }
                onFrame?(self, frame)
            } catch {
                return fail("unframeable stream data: \(error)")
            }
        }
    }

    /// True while a partial message sits in the buffer.
    var hasPartialMessage: Bool { framer.bufferedCount > 0 }

    func close(reason: String) { fail(reason) }

    private func fail(_ reason: String) {
        guard state != .closed else { return }
        let wasConnecting = state == .connecting
        if state == .open { tls?.shutdown() }
        state = .closed
        pending.removeAll()
        disarmWriteSource()
        readSource?.cancel()
        readSource = nil
        if liveSources == 0 { Glibc.close(fd) }
        let cb = onClose
        onClose = nil
        onFrame = nil
        onOpen = nil
        // A connect that never completed found nobody listening (or no route).
        cb?(self, SIPTransportFailure(wasConnecting ? .unreachable : .closed, reason))
    }

    deinit {
        if state != .closed {
            writeSource?.cancel()
            readSource?.cancel()
            if readSource == nil && writeSource == nil { Glibc.close(fd) }
        }
    }
}
