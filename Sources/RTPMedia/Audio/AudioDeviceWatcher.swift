import Dispatch
import NetSupport
#if canImport(Glibc)
import Glibc
#endif

/// Tells when audio devices may have come or gone: inotify on /dev/snd (a
/// USB headset plugged or unplugged creates or removes its nodes) and on
/// the ALSA configuration files (`~/.asoundrc`, `/etc/asound.conf`,
/// `$ALSA_CONFIG_PATH`: PCMs defined or removed there). Bursts (a card
/// brings several nodes at once, an editor writes in steps) are folded into
/// one call of `onChange`, 250 ms after the last event.
///
/// `@unchecked Sendable` boundary: used only on `queue`.
public final class AudioDeviceWatcher: @unchecked Sendable {
    private let queue: DispatchQueue
    private let source: ReadSource?
    /// Watch descriptor → the file names that matter in that directory (empty: all).
    private var watched: [Int32: Set<String>] = [:]
    private var pending: DispatchWorkItem?
    private let onChange: () -> Void
    private var buffer = [UInt8](repeating: 0, count: 4096)

    /// The files and directories watched by default, from the environment.
    public static func defaultPaths(environment: [String: String]) -> [String] {
        var paths = ["/dev/snd", "/etc/asound.conf"]
        if let home = environment["HOME"], !home.isEmpty { paths += [home + "/.asoundrc", home + "/.config/alsa/asoundrc"] }
        if let custom = environment["ALSA_CONFIG_PATH"] { paths += custom.split(separator: ":").map(String.init) }
        return paths
    }

    /// Watches `paths` (directories: every entry; files: that name in its
    /// directory, which may not exist yet). Nothing watchable: a no-op watcher.
    public init(paths: [String], queue: DispatchQueue, onChange: @escaping () -> Void) {
        self.queue = queue
        self.onChange = onChange
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else {
            source = nil
            return
        }
        let mask = UInt32(IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_CLOSE_WRITE | IN_ATTRIB)
        for path in paths {
            var isDir = stat()
            let directory = stat(path, &isDir) == 0 && (isDir.st_mode & S_IFMT) == S_IFDIR
            let dir = directory ? path : String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
            let name = directory ? nil : String(path[path.index(after: path.lastIndex(of: "/") ?? path.startIndex)...])
            let wd = inotify_add_watch(fd, dir.isEmpty ? "/" : dir, mask)
            guard wd >= 0 else { continue }
            if let name { watched[wd, default: []].insert(name) } else { watched[wd] = [] }
        }
        let s = ReadSource(fd: fd)
        source = s
        s.start(queue: queue) { [weak self] in self?.drain() }
    }

    deinit {
        pending?.cancel()
        source?.shutdown()
    }

    /// Reads every queued event; schedules `onChange` when one matters.
    private func drain() {
        guard let fd = source?.fd else { return }
        var relevant = false
        for _ in 0..<64 {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            buffer.withUnsafeBytes { raw in
                var offset = 0
                // struct inotify_event: wd, mask, cookie, len, then `len` bytes of NUL-padded name.
                while offset + 16 <= n {
                    let wd = raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                    let len = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    let nameBytes = raw[(offset + 16)..<min(n, offset + 16 + len)].prefix { $0 != 0 }
                    offset += 16 + len
                    guard let names = watched[wd] else { continue }
                    if names.isEmpty || names.contains(String(decoding: nameBytes, as: UTF8.self)) { relevant = true }
                }
            }
        }
        guard relevant else { return }
        pending?.cancel()
        let item = DispatchWorkItem { [weak self] in self?.onChange() }
        pending = item
        queue.asyncAfter(deadline: .now() + .milliseconds(250), execute: item)
    }
}
