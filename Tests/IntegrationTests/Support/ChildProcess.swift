import Foundation
import Synchronization

/// A child process started with posix_spawn, its stdout and stderr read
/// into one ``LineLog`` by a Dispatch source, and reaped by a thread
/// blocked in waitpid on that pid alone. (Foundation's Process reaps
/// children from a shared run loop, which stalls when several long-lived
/// children and short commands mix.)
final class ChildProcess: @unchecked Sendable {
    let pid: pid_t
    let log = LineLog()
    private let readFD: Int32
    private let reader: DispatchSource
    private let lock = NSLock()
    private var exitStatus: Int32?
    private var exitWaiters: [(Int32) -> Void] = []
    private let readerDone = DispatchSemaphore(value: 0)

    init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws {
        var fds: [Int32] = [0, 0]
        // Close-on-exec from the start (a socket pair: pipe2 is not in the
        // Glibc module): no other child spawned meanwhile may inherit it (it
        // would hold the read end open, and keep the epoll registration of
        // a closed fd alive).
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else { throw POSIXError(.EMFILE) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { env.forEach { free($0) } }
        // The test process runs with signals blocked on its threads; a child
        // must start with an empty mask and default handlers, or SIGTERM
        // would not stop it. Its own process group lets clean-up reach the
        // workers it forks.
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2] { sigaddset(&defaults, sig) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, &attr, argv, env)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .ENOENT)
        }
        pid = child
        LiveChildren.add(child)
        readFD = fds[0]
        let log = self.log
        let fd = fds[0]
        let done = readerDone
        reader = DispatchSource.makeReadSource(fileDescriptor: fd, queue: DispatchQueue(label: "child-\(child)")) as! DispatchSource
        reader.setEventHandler { [reader] in
            var buf = [UInt8](repeating: 0, count: 65_536)
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 { log.feed(Data(buf[0..<n])) } else if n == 0 || (errno != EAGAIN && errno != EINTR) { reader.cancel() }
        }
        reader.setCancelHandler { close(fd); done.signal() }
        reader.resume()
        let thread = Thread { [weak self, child] in
            var status: Int32 = 0
            while waitpid(child, &status, 0) < 0 && errno == EINTR {}
            self?.exited(status)
        }
        thread.start()
    }

    private func exited(_ raw: Int32) {
        // WIFEXITED → exit code; killed by a signal → 128 + signal, as shells report it.
        let code = (raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
        LiveChildren.remove(pid)
        // Let the reader finish the last lines (bounded: the pipe closes with the child).
        _ = readerDone.wait(timeout: .now() + 2)
        lock.lock()
        exitStatus = code
        let waiters = exitWaiters
        exitWaiters.removeAll()
        lock.unlock()
        waiters.forEach { $0(code) }
    }

    var isRunning: Bool {
        lock.lock(); defer { lock.unlock() }
        return exitStatus == nil
    }

    func signal(_ sig: Int32) { kill(pid, sig) }

    /// Signals the whole process group (kamailio's workers too: SIGSTOP on
    /// the main process alone leaves its receivers answering).
    func signalGroup(_ sig: Int32) { kill(-pid, sig) }

    /// Waits for exit; nil on timeout.
    func waitForExit(timeout: Duration) async -> Int32? {
        await withCheckedContinuation { (c: CheckedContinuation<Int32?, Never>) in
            let once = OnceValue(c)
            lock.lock()
            if let s = exitStatus {
                lock.unlock()
                once.resume(s)
                return
            }
            exitWaiters.append { once.resume($0) }
            lock.unlock()
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(timeout.components.seconds * 1000))) { once.resume(nil) }
        }
    }

    /// Kills the child and everything in its process group.
    func kill9() { kill(-pid, SIGKILL) }

    deinit { kill9() }
}

final class OnceValue: @unchecked Sendable {
    private let lock = NSLock()
    private var cont: CheckedContinuation<Int32?, Never>?
    init(_ c: CheckedContinuation<Int32?, Never>) { cont = c }
    func resume(_ v: Int32?) {
        lock.lock()
        let c = cont
        cont = nil
        lock.unlock()
        c?.resume(returning: v)
    }
}

/// Runs a short command to completion and returns (status, output).
@discardableResult
func runCommand(_ executable: String, _ arguments: [String]) async throws -> (Int32, String) {
    let child = try ChildProcess(executable, arguments)
    guard let status = await child.waitForExit(timeout: .seconds(20)) else {
        child.kill9()
        throw POSIXError(.ETIMEDOUT)
    }
    return (status, child.log.text)
}

/// The process groups of children still running, taken down when the test
/// process exits: a test's deferred `Task { await registrar.stop() }` may
/// not get to run before the last test returns, and a registrar or DNS
/// server must not outlive the run.
enum LiveChildren {
    private static let groups = Mutex<Set<pid_t>>([])
    private static let exitHook: Void = { atexit { LiveChildren.killAll() } }()

    static func add(_ pid: pid_t) {
        _ = exitHook
        groups.withLock { _ = $0.insert(pid) }
    }

    static func remove(_ pid: pid_t) {
        groups.withLock { _ = $0.remove(pid) }
    }

    static func killAll() {
        for pid in groups.withLock({ $0 }) { kill(-pid, SIGKILL) }
    }
}
