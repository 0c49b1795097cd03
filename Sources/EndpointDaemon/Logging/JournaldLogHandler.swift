import CSIPSystemd
import FoundationEssentials
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Logging

/// swift-log backend writing structured entries to journald with
/// sd_journal_sendv: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, and each
/// metadata key as a field (known ones under stable names such as
/// SIP_SITE, SIP_TRANSPORT, SIPENDPOINT_STATE, SIPENDPOINT_REASON).
struct JournaldLogHandler: DaemonLogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    let label: String

    init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    /// Field names for the metadata keys the daemon uses.
    static let fieldNames: [String: String] = [
        "site": "SIP_SITE", "transport": "SIP_TRANSPORT", "call_id": "SIP_CALL_ID", "registrar": "SIP_TARGET",
        "state": "SIPENDPOINT_STATE", "reason": "SIPENDPOINT_REASON", "active_site": "SIPENDPOINT_ACTIVE_SITE",
    ]

    static func fieldName(_ key: String) -> String {
        if let known = fieldNames[key] { return known }
        let upper = key.uppercased().map { ($0.isLetter || $0.isNumber) ? $0 : "_" }
        return "SIPENDPOINT_" + String(upper)
    }

    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    func log(event: LogEvent) {
        let all = merged(with: event.metadata)
        var fields = ["MESSAGE=\(event.message)", "PRIORITY=\(Self.priority(event.level))", "SYSLOG_IDENTIFIER=sipendpointd"]
        for (k, v) in all.sorted(by: { $0.key < $1.key }) { fields.append("\(Self.fieldName(k))=\(v)") }
        let buffers = fields.map { Array($0.utf8) }
        var iov = [iovec]()
        var pointers: [UnsafeMutableRawPointer] = []
        for b in buffers {
            let p = UnsafeMutableRawPointer.allocate(byteCount: max(b.count, 1), alignment: 1)
            b.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: b.count) }
            pointers.append(p)
            iov.append(iovec(iov_base: p, iov_len: b.count))
        }
        _ = iov.withUnsafeBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) }
        pointers.forEach { $0.deallocate() }
    }

    /// True when stderr is the journal (systemd sets JOURNAL_STREAM to its dev:inode).
    static var stderrIsJournal: Bool {
        guard let value = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let dev = UInt64(parts[0]), let ino = UInt64(parts[1]) else { return false }
        var st = stat()
        guard fstat(2, &st) == 0 else { return false }
        return UInt64(st.st_dev) == dev && UInt64(st.st_ino) == ino
    }
}
