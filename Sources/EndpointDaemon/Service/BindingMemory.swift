import FoundationEssentials
import SIPCore
#if canImport(Glibc)
import Glibc
#endif

/// The Contact each site last registered, kept in the state directory
/// (`bindings`, one `site contact` line each) beside the instance id: the
/// next run removes them in its first REGISTER if its own Contact differs
/// (killed process, new port or address), so one box holds one binding per
/// site at the registrar however often it restarts.
struct BindingMemory {
    let path: String

    init(stateDirectory: String) { path = stateDirectory + "/bindings" }

    func load() -> [Site: SIPURI] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var out: [Site: SIPURI] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2, let site = Site(rawValue: parts[0]), let uri = try? SIPURI(parts[1]) else { continue }
            out[site] = uri
        }
        return out
    }

    /// Writes `bindings` (write then rename: a crash never leaves half a file).
    func save(_ bindings: [Site: SIPURI]) {
        let text = bindings.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)\n" }.joined()
        let tmp = path + ".tmp"
        guard (try? text.write(toFile: tmp, atomically: false, encoding: .utf8)) != nil else { return }
        _ = rename(tmp, path)
    }
}
