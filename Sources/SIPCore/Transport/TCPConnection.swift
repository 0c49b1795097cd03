import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One TCP connection carrying SIP: nonblocking connect, a read source that
/// frames messages, and a write queue drained by a write source when the
/// kernel buffer is full.
///
/// `@unchecked Sendable` boundary: used only on `queue`, which owns the fd
/// and both sources.
final class TCPConnection: @unchecked Sendable {
    enum State { case connecting, open, closed }

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

    /// Called with each frame; and once with a reason when the connection ends.
    var onFrame: ((TCPConnection, SIPStreamFramer.Frame) -> Void)?
    var onClose: ((TCPConnection, String) -> Void)?
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
         limits: SIPParserLimits) throws(TransportError) {
        let fd = try SocketOps.open(remote.family, stream: true)
        if let bindAddress, bindAddress.family == remote.family {
            // Same local port as the listener when possible, so the peer sees
            // the port our Contact advertises; otherwise any port.
            var on: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
            _ = bindAddress.withSockAddr { Glibc.bind(fd, $0, $1) }
        }
        let rc = remote.withSockAddr { connect(fd, $0, $1) }
        if rc != 0 && errno != EINPROGRESS {
            let why = errnoText()
            Glibc.close(fd)
            throw TransportError(operation: "connect", address: remote.description, reason: why)
        }
        self.id = id
        self.fd = fd
        self.remote = remote
        self.queue = queue
        self.outbound = true
        self.state = rc == 0 ? .open : .connecting
        self.framer = SIPStreamFramer(limits: limits)
    }

    /// Starts the sources; call on `queue` after setting the callbacks.
    func start() {
        let rs = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue) as! DispatchSource
        rs.setEventHandler { [weak self] in self?.readable() }
        install(rs)
        readSource = rs
        rs.resume()
        if state == .connecting {
            armWriteSource()
        } else {
            local = SocketOps.localAddress(fd)
            onOpen?(self)
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
            state = .open
            local = SocketOps.localAddress(fd)
            onOpen?(self)
        }
        flush()
    }

    /// Queues bytes and writes what the kernel takes now.
    func send(_ bytes: [UInt8]) {
        guard state != .closed else { return }
        pending.append(contentsOf: bytes)
        if state == .open { flush() }
    }

    private func flush() {
        while !pending.isEmpty {
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
        let n = readBuffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { return fail("closed by peer") }
        if n < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return }
            return fail("\(state == .connecting ? "connect" : "receive") failed: \(errnoText())")
        }
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
        cb?(self, reason)
    }

    deinit {
        if state != .closed {
            writeSource?.cancel()
            readSource?.cancel()
            if readSource == nil && writeSource == nil { Glibc.close(fd) }
        }
    }
}
