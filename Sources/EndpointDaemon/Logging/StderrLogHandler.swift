import FoundationEssentials
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Logging

/// One line per event on stderr: time, level, label, message, then
/// metadata as sorted `key=value` pairs. Writes are whole lines (one
/// `write(2)` each) so lines from different threads never interleave.
struct StderrLogHandler: DaemonLogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    let label: String

    init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    func log(event: LogEvent) {
        let all = merged(with: event.metadata)
        var line = "\(Self.timestamp()) \(event.level.rawValue.uppercased()) \(label): \(event.message)"
        for (k, v) in all.sorted(by: { $0.key < $1.key }) {
            let text = "\(v)"
            line += text.contains(" ") || text.isEmpty ? " \(k)=\"\(text)\"" : " \(k)=\(text)"
        }
        line = line.replacing("\r\n", with: "\\r\\n").replacing("\n", with: "\\n")
        line += "\n"
        line.utf8CString.withUnsafeBufferPointer { p in _ = write(2, p.baseAddress, p.count - 1) }
    }

    private static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Text.rfc3339(Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9)
    }
}

/// Either backend behind one type, so the choice is made once at start.
struct AnyLogHandler: LogHandler {
    private var base: any LogHandler
    init(_ base: any LogHandler) { self.base = base }
    var logLevel: Logger.Level {
        get { base.logLevel }
        set { base.logLevel = newValue }
    }
    var metadata: Logger.Metadata {
        get { base.metadata }
        set { base.metadata = newValue }
    }
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { base[metadataKey: key] }
        set { base[metadataKey: key] = newValue }
    }
    func log(event: LogEvent) { base.log(event: event) }
}

/// What the daemon's log backends share: plain stored metadata, merged with
/// each event's own.
protocol DaemonLogHandler: LogHandler {}

extension DaemonLogHandler {
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func merged(with extra: Logger.Metadata?) -> Logger.Metadata {
        guard let extra else { return metadata }
        return metadata.merging(extra) { $1 }
    }
}
