import FoundationEssentials
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import SIPCore

/// Reads and validates a config file, including the password file.
enum ConfigLoader {
    /// `overrides` (from POST /register) replace the file's values for this
    /// session and are validated exactly like it; their errors carry no line.
    static func load(path: String, overrides: [String: String] = [:]) -> Result<EndpointConfiguration, ConfigErrors> {
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(ConfigErrors(errors: [ConfigError(.unreadable, key: nil, line: nil, "cannot read \(path)")]))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return .failure(ConfigErrors(errors: [ConfigError(.unreadable, key: nil, line: nil, "\(path) is not UTF-8 text")]))
        }
        var (entries, syntaxErrors) = ConfigFile.parse(text)
        entries.removeAll { overrides[$0.key] != nil }
        entries += overrides.sorted { $0.key < $1.key }.map { ConfigEntry(key: $0.key, value: $0.value, line: 0) }
        switch ConfigSchema.load(entries) {
        case .success(var config):
            guard syntaxErrors.isEmpty else { return .failure(ConfigErrors(errors: syntaxErrors)) }
            if let file = config.passwordFile {
                guard let pw = try? String(contentsOfFile: file, encoding: .utf8) else {
                    let line = entries.first { $0.key == "sipendpoint.password-file" }?.line
                    return .failure(ConfigErrors(errors: [ConfigError(.unreadable, key: "sipendpoint.password-file", line: line, "cannot read \(file)")]))
                }
                config.password = pw.split(separator: "\n", omittingEmptySubsequences: false).first.map { String($0).trimmingCharacters(in: "\r") } ?? ""
            }
            return .success(config)
        case .failure(var errors):
            for i in errors.errors.indices where errors.errors[i].line == 0 { errors.errors[i].line = nil }
            errors.errors = (syntaxErrors + errors.errors).sorted { ($0.line ?? Int.max) < ($1.line ?? Int.max) }
            return .failure(errors)
        }
    }
}
