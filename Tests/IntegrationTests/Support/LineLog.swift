import Foundation

/// Lines a child process printed, with async waits that are resumed by the
/// reader as soon as a matching line arrives (no polling), bounded by a timeout.
final class LineLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    private var partial = Data()
    private var waiters: [(id: Int, check: ([String]) -> Bool, resume: (Bool) -> Void)] = []
    private var nextID = 0

    func feed(_ data: Data) {
        lock.lock()
        partial.append(data)
        while let nl = partial.firstIndex(of: 0x0A) {
            let line = String(decoding: partial[partial.startIndex..<nl], as: UTF8.self)
            lines.append(line)
            partial.removeSubrange(partial.startIndex...nl)
        }
        let ready = waiters.filter { $0.check(lines) }
        waiters.removeAll { w in ready.contains { $0.id == w.id } }
        lock.unlock()
        ready.forEach { $0.resume(true) }
    }

    /// Every line so far, with an unterminated last line included.
    var all: [String] {
        lock.lock(); defer { lock.unlock() }
        return partial.isEmpty ? lines : lines + [String(decoding: partial, as: UTF8.self)]
    }

    var text: String { all.joined(separator: "\n") }

    func count(_ substring: String) -> Int { all.filter { $0.contains(substring) }.count }

    /// The time stamp the daemon wrote on its first line containing
    /// `substring` (`2026-12-01T10:13:20.390Z ...`): for durations measured
    /// by the daemon's own clock, free of the time a loaded machine takes
    /// to start the process.
    func time(ofFirst substring: String) -> Date? {
        guard let line = all.first(where: { $0.contains(substring) }), let stamp = line.split(separator: " ").first else { return nil }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: String(stamp))
    }

    /// Waits until `check` holds for the lines so far, or the timeout passes.
    func wait(timeout: Duration, _ check: @escaping @Sendable ([String]) -> Bool) async -> Bool {
        await withCheckedContinuation { (cont: CheckedContinuation<Bool, Never>) in
            lock.lock()
            if check(lines) {
                lock.unlock()
                cont.resume(returning: true)
                return
            }
            let id = nextID
            nextID += 1
            let once = Once(cont)
            waiters.append((id, check, { once.resume($0) }))
            lock.unlock()
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(timeout.components.seconds * 1000) + Int(timeout.components.attoseconds / 1_000_000_000_000_000))) { [weak self] in
                guard let self else { return }
                self.lock.lock()
                self.waiters.removeAll { $0.id == id }
                self.lock.unlock()
                once.resume(false)
            }
        }
    }

    /// Waits for a line containing `substring`.
    func waitFor(_ substring: String, count: Int = 1, timeout: Duration = .seconds(10)) async -> Bool {
        await wait(timeout: timeout) { lines in lines.filter { $0.contains(substring) }.count >= count }
    }
}

/// Resumes a continuation at most once (the line and the timeout race).
final class Once: @unchecked Sendable {
    private let lock = NSLock()
    private var cont: CheckedContinuation<Bool, Never>?
    init(_ c: CheckedContinuation<Bool, Never>) { cont = c }
    func resume(_ v: Bool) {
        lock.lock()
        let c = cont
        cont = nil
        lock.unlock()
        c?.resume(returning: v)
    }
}
