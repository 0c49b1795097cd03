import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Why a lookup gave no answer.
public struct DNSLookupError: Error, Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var reason: String
    public var description: String { "DNS lookup of \(name) failed: \(reason)" }
}

/// An asynchronous stub resolver: UDP with TCP fallback on truncation,
/// per-server timeouts and retries, answers checked against the question,
/// the query id and the server's address, and a TTL-honouring cache.
///
/// Queries run as bounded blocking exchanges on a global queue; results and
/// the cache live on the resolver's own serial queue — never on the SIP
/// queue. `@unchecked Sendable` boundary: mutable state is touched only on
/// `queue`.
public final class DNSResolver: @unchecked Sendable {
    public let servers: [SocketAddress]
    public let timeout: Duration
    public let attempts: Int
    private let random: RandomSource
    private let now: @Sendable () -> Double
    private let queue = DispatchQueue(label: "sipendpointd.dns")
    private var cache: [String: (expires: Double, answers: [DNSAnswer])] = [:]
    /// Queries sent on the wire (tests check that the cache is used).
    public private(set) var wireQueries = 0

    public init(servers: [SocketAddress], timeout: Duration = .seconds(1), attempts: Int = 2, random: RandomSource = .system,
                now: @escaping @Sendable () -> Double = { var ts = timespec(); clock_gettime(CLOCK_MONOTONIC, &ts); return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9 }) {
        self.servers = servers
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.random = random
        self.now = now
    }

    /// Nameservers from resolv.conf (port 53); 127.0.0.1 when none is listed.
    public static func systemServers(path: String = "/etc/resolv.conf") -> [SocketAddress] {
        guard let f = fopen(path, "r") else { return [SocketAddress(ip: "127.0.0.1", port: 53)!] }
        defer { fclose(f) }
        var out: [SocketAddress] = []
        var line = [CChar](repeating: 0, count: 512)
        while fgets(&line, Int32(line.count), f) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let parts = text.split { $0 == " " || $0 == "\t" || $0 == "\n" }
            if parts.count >= 2, parts[0] == "nameserver", let ip = parts[1].split(separator: "%").first, let a = SocketAddress(ip: String(ip), port: 53) {
                out.append(a)
            }
        }
        return out.isEmpty ? [SocketAddress(ip: "127.0.0.1", port: 53)!] : out
    }

    /// Looks up `name`/`type`; `completion` runs on the resolver's queue.
    public func lookup(_ name: String, _ type: DNSRecordType, completion: @escaping @Sendable (Result<[DNSAnswer], DNSLookupError>) -> Void) {
        let key = "\(name.lowercased())|\(type.rawValue)"
        queue.async { [self] in
            if let hit = cache[key], hit.expires > now() {
                completion(.success(hit.answers))
                return
            }
            wireQueries += 1
            let servers = self.servers, timeout = self.timeout, attempts = self.attempts, random = self.random
            DispatchQueue.global().async {
                let result = DNSExchange.resolve(name: name, type: type, servers: servers, timeout: timeout, attempts: attempts, random: random)
                self.queue.async {
                    if case .success(let (answers, ttl)) = result {
                        self.cache[key] = (self.now() + Double(ttl), answers)
                    }
                    completion(result.map { $0.0 })
                }
            }
        }
    }

    /// Forgets cached answers (network change).
    public func flush() { queue.async { self.cache.removeAll() } }
}

/// One query against the servers in turn: the blocking part, run off-queue.
enum DNSExchange {
    static func resolve(name: String, type: DNSRecordType, servers: [SocketAddress], timeout: Duration, attempts: Int,
                        random: RandomSource) -> Result<([DNSAnswer], UInt32), DNSLookupError> {
        var lastReason = "no nameserver answered"
        for _ in 0..<attempts {
            for server in servers {
                let id = UInt16(truncatingIfNeeded: random.next())
                let query = DNSWire.query(id: id, name: name, type: type)
                var response: DNSResponse?
                switch udp(query, to: server, id: id, name: name, type: type, timeout: timeout) {
                case .success(let r): response = r
                case .failure(let why): lastReason = "\(server): \(why)"; continue
                }
                if response!.truncated {
                    switch tcp(query, to: server, id: id, name: name, type: type, timeout: timeout) {
                    case .success(let r): response = r
                    case .failure(let why): lastReason = "\(server) (TCP): \(why)"; continue
                    }
                }
                let r = response!
                switch r.rcode {
                case 0:
                    let relevant = r.answers.filter { $0.type == type.rawValue && $0.record != nil }
                    let ttl = relevant.map(\.ttl).min() ?? r.negativeTTL ?? 30
                    return .success((relevant, min(ttl, 86_400)))
                case 3:
                    return .success(([], min(r.negativeTTL ?? 30, 3600))) // NXDOMAIN: cache the absence
                default:
                    lastReason = "\(server) answered rcode \(r.rcode)"
                }
            }
        }
        return .failure(DNSLookupError(name: name, reason: lastReason))
    }

    private static func validate(_ bytes: [UInt8], id: UInt16, name: String, type: DNSRecordType) -> Result<DNSResponse, ExchangeFailure>? {
        guard let r = try? DNSWire.parse(bytes) else { return .failure(.init("malformed answer")) }
        // A reply to some other question (or a spoofing attempt) is ignored, not fatal.
        guard r.id == id, r.questionName == name.lowercased().trimmingDot, r.questionType == type.rawValue else { return nil }
        return .success(r)
    }

    private static func udp(_ query: [UInt8], to server: SocketAddress, id: UInt16, name: String, type: DNSRecordType,
                            timeout: Duration) -> Result<DNSResponse, ExchangeFailure> {
        let fd = socket(server.family == .ipv4 ? AF_INET : AF_INET6, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(.init(errnoText())) }
        defer { close(fd) }
        guard server.withSockAddr({ sendto(fd, query, query.count, 0, $0, $1) }) == query.count else { return .failure(.init(errnoText())) }
        let deadline = monotonicMillis() + Int(timeout.seconds * 1000)
        var buf = [UInt8](repeating: 0, count: 4096)
        // Bounded: stops at the deadline; stray datagrams only use up time.
        while true {
            let left = deadline - monotonicMillis()
            guard left > 0 else { return .failure(.init("timed out")) }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, Int32(left)) > 0 else { return .failure(.init("timed out")) }
            var ss = sockaddr_storage()
            var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let n = buf.withUnsafeMutableBytes { b in
                withUnsafeMutablePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, b.baseAddress, b.count, 0, $0, &len) } }
            }
            guard n > 0 else { return .failure(.init(errnoText())) }
            // Answers from anyone but the server we asked are dropped.
            guard withUnsafePointer(to: &ss, { SocketAddress(storage: $0) }) == server else { continue }
            if let result = validate(Array(buf[0..<n]), id: id, name: name, type: type) { return result }
        }
    }

    private static func tcp(_ query: [UInt8], to server: SocketAddress, id: UInt16, name: String, type: DNSRecordType,
                            timeout: Duration) -> Result<DNSResponse, ExchangeFailure> {
        let fd = socket(server.family == .ipv4 ? AF_INET : AF_INET6, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(.init(errnoText())) }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        guard server.withSockAddr({ connect(fd, $0, $1) }) == 0 else { return .failure(.init(errnoText())) }
        let framed = [UInt8(query.count >> 8), UInt8(query.count & 0xFF)] + query
        guard send(fd, framed, framed.count, Int32(MSG_NOSIGNAL)) == framed.count else { return .failure(.init(errnoText())) }
        func readExactly(_ n: Int) -> [UInt8]? {
            var out = [UInt8](repeating: 0, count: n)
            var got = 0
            while got < n {
                let r = out.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, n - got, 0) }
                if r <= 0 { return nil }
                got += r
            }
            return out
        }
        guard let lenBytes = readExactly(2) else { return .failure(.init("no TCP answer")) }
        guard let body = readExactly(Int(lenBytes[0]) << 8 | Int(lenBytes[1])) else { return .failure(.init("short TCP answer")) }
        return validate(body, id: id, name: name, type: type) ?? .failure(.init("TCP answer to another question"))
    }

    static func monotonicMillis() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000
    }
}

struct ExchangeFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

extension String {
    var trimmingDot: String { hasSuffix(".") ? String(dropLast()) : self }
}
