import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Tells when the host's network changed: links up/down and addresses added
/// or removed (rtnetlink), or the machine resumed from suspend (CLOCK_BOOTTIME
/// ran ahead of CLOCK_MONOTONIC). Bursts are coalesced into one call.
///
/// `@unchecked Sendable` boundary: used only on `queue`, which owns the
/// netlink fd and its source.
public final class NetworkMonitor: @unchecked Sendable {
    private let queue: DispatchQueue
    private let debounce: Duration
    private var reader: ReadSource?
    private var resumeTimer: DispatchSourceTimer?
    private var pending: DispatchWorkItem?
    private var lastBoot = 0.0, lastMono = 0.0
    private var reasons: [String] = []
    public var onChange: ((String) -> Void)?

    public init(queue: DispatchQueue, debounce: Duration = .milliseconds(300)) {
        self.queue = queue
        self.debounce = debounce
    }

    // rtnetlink constants (linux/netlink.h, linux/rtnetlink.h), not in Glibc's module.
    private static let afNetlink: Int32 = 16, netlinkRoute: Int32 = 0
    private static let groups: UInt32 = 0x1 | 0x10 | 0x100 // RTMGRP_LINK | IPV4_IFADDR | IPV6_IFADDR

    /// Starts watching; call on `queue`. Returns false when netlink is unavailable.
    @discardableResult
    public func start() -> Bool {
        startResumeWatch()
        let fd = socket(Self.afNetlink, Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Self.netlinkRoute)
        guard fd >= 0 else { return false }
        // struct sockaddr_nl { u16 family; u16 pad; u32 pid; u32 groups; }
        var addr: [UInt32] = [UInt32(Self.afNetlink), 0, Self.groups]
        let rc = addr.withUnsafeMutableBytes { $0.baseAddress!.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, 12) } }
        guard rc == 0 else { close(fd); return false }
        let r = ReadSource(fd: fd)
        r.start(queue: queue) { [weak self] in self?.drain(fd) }
        reader = r
        return true
    }

    public func stop() {
        reader?.shutdown()
        reader = nil
        resumeTimer?.cancel()
        resumeTimer = nil
        pending?.cancel()
    }

    private func drain(_ fd: Int32) {
        var buf = [UInt8](repeating: 0, count: 16_384)
        for _ in 0..<32 { // bounded per wake-up
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return }
            var off = 0
            // struct nlmsghdr { u32 len; u16 type; u16 flags; u32 seq; u32 pid; }
            while off + 16 <= n {
                let len = Int(UInt32(buf[off]) | UInt32(buf[off + 1]) << 8 | UInt32(buf[off + 2]) << 16 | UInt32(buf[off + 3]) << 24)
                let type = UInt16(buf[off + 4]) | UInt16(buf[off + 5]) << 8
                guard len >= 16, off + len <= n else { break }
                switch type {
                case 16: note("link added or changed")
                case 17: note("link removed")
                case 20: note("address added")
                case 21: note("address removed")
                default: break
                }
                off += (len + 3) & ~3
            }
        }
    }

    private func note(_ reason: String) {
        if !reasons.contains(reason) { reasons.append(reason) }
        pending?.cancel()
        let item = DispatchWorkItem { [weak self] in
            guard let self else { return }
            let why = self.reasons.joined(separator: ", ")
            self.reasons.removeAll()
            self.onChange?(why)
        }
        pending = item
        queue.asyncAfter(deadline: .now() + debounce.dispatch, execute: item)
    }

    private static func clock(_ id: clockid_t) -> Double {
        var ts = timespec()
        clock_gettime(id, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    private func startResumeWatch() {
        lastBoot = Self.clock(CLOCK_BOOTTIME)
        lastMono = Self.clock(CLOCK_MONOTONIC)
        let t = DispatchSource.makeTimerSource(queue: queue)
        t.schedule(deadline: .now() + 5, repeating: 5)
        t.setEventHandler { [weak self] in
            guard let self else { return }
            let boot = Self.clock(CLOCK_BOOTTIME), mono = Self.clock(CLOCK_MONOTONIC)
            // CLOCK_MONOTONIC stops during suspend; CLOCK_BOOTTIME does not.
            if (boot - self.lastBoot) - (mono - self.lastMono) > 2 { self.note("resumed from suspend") }
            self.lastBoot = boot
            self.lastMono = mono
        }
        resumeTimer = t
        t.resume()
    }
}
