import CSIPShims
import Dispatch
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import Logging
import SIPCore

/// What a route answers: a response, or a Server-Sent Events stream.
enum HTTPReply {
    case response(HTTPResponse)
    /// Headers for the stream; `open` gets a sink to push events into.
    case eventStream(headers: [(String, String)], open: (EventSink) -> Void)
}

/// Writes SSE frames to one connection; `isOpen` turns false when it closes.
final class EventSink: @unchecked Sendable {
    fileprivate weak var connection: HTTPConnection?
    fileprivate init(_ c: HTTPConnection) { connection = c }
    var isOpen: Bool { connection?.closed == false }

    /// Sends `event: name` / `data: json`; call on the control queue.
    func send(event: String, data: String) {
        connection?.write(Array("event: \(event)\ndata: \(data)\n\n".utf8))
    }
}

/// A small strict HTTP/1.1 server on nonblocking sockets and Dispatch
/// sources (no NIO): keep-alive, request limits (413/431), a bounded number
/// of connections, and clients that are too slow timed out (408).
///
/// `@unchecked Sendable` boundary: everything runs on `queue`.
final class HTTPServer: @unchecked Sendable {
    let queue: DispatchQueue
    let limits: HTTPLimits
    let maxConnections: Int
    let requestTimeout: Duration
    let idleTimeout: Duration
    let logger: Logger
    private(set) var local: SocketAddress?
    private var listenFD: Int32 = -1
    private var listenSource: DispatchSource?
    fileprivate var connections: [ObjectIdentifier: HTTPConnection] = [:]
    let handler: (HTTPRequest) -> HTTPReply
    /// HTTPS when set.
    let tls: TLSServerContext?

    init(queue: DispatchQueue, limits: HTTPLimits = HTTPLimits(), maxConnections: Int = 32, requestTimeout: Duration = .seconds(10),
         idleTimeout: Duration = .seconds(60), tls: TLSServerContext? = nil, logger: Logger, handler: @escaping (HTTPRequest) -> HTTPReply) {
        self.tls = tls
        self.queue = queue
        self.limits = limits
        self.maxConnections = maxConnections
        self.requestTimeout = requestTimeout
        self.idleTimeout = idleTimeout
        self.logger = logger
        self.handler = handler
    }

    /// Binds and listens; call on `queue`.
    func start(address: SocketAddress) throws {
        let fd = socket(address.family == .ipv4 ? AF_INET : AF_INET6, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw StateError(reason: "control socket: \(String(cString: strerror(errno)))") }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        guard address.withSockAddr({ bind(fd, $0, $1) }) == 0, listen(fd, 64) == 0 else {
            let why = String(cString: strerror(errno))
            close(fd)
            throw StateError(reason: "cannot listen on \(address): \(why)")
        }
        listenFD = fd
        var ss = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        local = withUnsafePointer(to: &ss) { p -> SocketAddress? in
            p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { SocketAddress(ip: address.ip, port: UInt16(bigEndian: $0.pointee.sin_port)) }
        }
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue) as! DispatchSource
        source.setEventHandler { [weak self] in self?.accept() }
        source.setCancelHandler { close(fd) }
        listenSource = source
        source.resume()
    }

    private func accept() {
        for _ in 0..<32 {
            let client = csip_accept_nonblocking(listenFD, nil, nil)
            if client < 0 { return }
            guard connections.count < maxConnections else {
                // Over the limit: a short 503 and close, so the client knows.
                let r = HTTPResponse.error(503, "too many connections").serialize(keepAlive: false)
                _ = r.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                close(client)
                continue
            }
            let c = HTTPConnection(fd: client, server: self)
            connections[ObjectIdentifier(c)] = c
            c.start()
        }
    }

    fileprivate func closed(_ c: HTTPConnection) { connections[ObjectIdentifier(c)] = nil }

    func shutdown() {
        listenSource?.cancel()
        listenSource = nil
        for c in connections.values { c.close() }
    }

    var connectionCount: Int { connections.count }
}

/// One client connection. Confined to the server's queue.
final class HTTPConnection: @unchecked Sendable {
    let fd: Int32
    unowned let server: HTTPServer
    private var parser: HTTPParser
    private var source: DispatchSource?
    private var writeSource: DispatchSource?
    private var pending: [UInt8] = []
    private var closeAfterWrite = false
    private var streaming = false
    fileprivate private(set) var closed = false
    private var deadline: DispatchWorkItem?
    private var liveSources = 0
    private var tls: TLSSession?
    private var handshaking = false

    init(fd: Int32, server: HTTPServer) {
        self.fd = fd
        self.server = server
        self.parser = HTTPParser(limits: server.limits)
        if let ctx = server.tls {
            tls = TLSSession(server: ctx, fd: fd)
            handshaking = true
        }
    }

    func start() {
        let s = DispatchSource.makeReadSource(fileDescriptor: fd, queue: server.queue) as! DispatchSource
        s.setEventHandler { [weak self] in self?.readable() }
        install(s)
        source = s
        s.resume()
        arm(server.idleTimeout, status: nil)
    }

    private func install(_ s: DispatchSource) {
        liveSources += 1
        let fd = self.fd
        s.setCancelHandler { [self] in
            liveSources -= 1
            if liveSources == 0 { Glibc.close(fd) }
        }
    }

    /// Closes the connection when no complete request arrives in time.
    private func arm(_ after: Duration, status: Int?) {
        deadline?.cancel()
        let item = DispatchWorkItem { [weak self] in
            guard let self, !self.closed, !self.streaming else { return }
            if let status { self.respond(.error(status, "request not completed in time"), keepAlive: false) } else { self.close() }
        }
        deadline = item
        server.queue.asyncAfter(deadline: .now() + after.dispatch, execute: item)
    }

    /// Advances the HTTPS handshake; a client that fails it is dropped.
    private func driveHandshake() {
        guard let tls else { return }
        switch tls.handshake() {
        case .done: handshaking = false; flush()
        case .wantRead: break
        case .wantWrite: armWrite()
        case .closed, .failed: close()
        }
    }

    private func readable() {
        var buf = [UInt8](repeating: 0, count: 16_384)
        if handshaking {
            driveHandshake()
            if handshaking || closed { return }
        }
        if let tls {
            // Bounded: every pass consumes socket bytes or stops.
            for _ in 0..<64 where !closed {
                switch tls.read(into: &buf) {
                case .done(let n): process(buf[0..<n])
                case .wantRead, .wantWrite: return
                case .closed, .failed: return close()
                }
            }
            return
        }
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { return close() }
        if n < 0 { if errno != EAGAIN && errno != EINTR { close() }; return }
        process(buf[0..<n])
    }

    private func process(_ bytes: ArraySlice<UInt8>) {
        if streaming { return } // SSE clients have nothing more to say
        let hadPartial = parser.hasPartialRequest
        parser.append(bytes)
        if !hadPartial { arm(server.requestTimeout, status: 408) }
        // Bounded: each request consumes bytes.
        while !closed, !streaming, !closeAfterWrite {
            do {
                guard let request = try parser.next() else { break }
                handle(request)
            } catch {
                server.logger.info("bad HTTP request", metadata: ["status": "\(error.status)", "reason": "\(error.reason)"])
                respond(.error(error.status, error.reason), keepAlive: false)
            }
        }
        if !parser.hasPartialRequest && !streaming && !closed { arm(server.idleTimeout, status: nil) }
    }

    private func handle(_ request: HTTPRequest) {
        switch server.handler(request) {
        case .response(let r):
            respond(r, keepAlive: request.keepAlive)
        case .eventStream(let headers, let open):
            streaming = true
            deadline?.cancel()
            var head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: keep-alive\r\n"
            for (n, v) in headers { head += "\(n): \(v)\r\n" }
            write(Array((head + "\r\n").utf8))
            open(EventSink(self))
        }
    }

    func respond(_ r: HTTPResponse, keepAlive: Bool) {
        if !keepAlive { closeAfterWrite = true }
        write(r.serialize(keepAlive: keepAlive))
    }

    func write(_ bytes: [UInt8]) {
        guard !closed else { return }
        pending += bytes
        flush()
    }

    private func armWrite() {
        guard writeSource == nil else { return }
        let w = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: server.queue) as! DispatchSource
        w.setEventHandler { [weak self] in
            guard let self else { return }
            if self.handshaking { self.driveHandshake() } else { self.flush() }
        }
        install(w)
        writeSource = w
        w.resume()
    }

    private func flush() {
        if handshaking { return }
        while !pending.isEmpty {
            if let tls {
                switch tls.write(pending[...]) {
                case .done(let n): pending.removeFirst(n)
                case .wantWrite: armWrite(); return
                case .wantRead: return // resumes when the client sends
                case .closed, .failed: return close()
                }
                continue
            }
            let n = pending.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EAGAIN { armWrite(); return }
                return close()
            }
            pending.removeFirst(n)
        }
        writeSource?.cancel()
        writeSource = nil
        if closeAfterWrite { close() }
    }

    func close() {
        guard !closed else { return }
        if !handshaking { tls?.shutdown() }
        closed = true
        deadline?.cancel()
        writeSource?.cancel()
        writeSource = nil
        source?.cancel()
        source = nil
        if liveSources == 0 { Glibc.close(fd) }
        server.closed(self)
    }
}
