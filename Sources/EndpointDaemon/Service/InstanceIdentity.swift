import FoundationEssentials
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// The `+sip.instance` UUID (RFC 5626 §4.1): made once, then kept in the
/// state directory so the registrar sees the same instance after restarts.
enum InstanceIdentity {
    static func load(stateDirectory: String) throws -> String {
        let fm = FileManager.default
        let path = stateDirectory + "/instance-id"
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            let id = text.split(whereSeparator: \.isWhitespace).first.map(String.init) ?? ""
            if UUID(uuidString: id) != nil { return id.lowercased() }
        }
        do {
            try fm.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
            let id = UUID().uuidString.lowercased()
            // Write then rename, so a crash never leaves a half-written id.
            let tmp = path + ".tmp"
            try (id + "\n").write(toFile: tmp, atomically: false, encoding: .utf8)
            _ = rename(tmp, path)
            return id
        } catch {
            throw StateError(reason: "cannot keep the instance id in \(stateDirectory): \(error)")
        }
    }
}

struct StateError: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}
