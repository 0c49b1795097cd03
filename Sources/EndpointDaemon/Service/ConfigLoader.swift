import Foundation
import SIPCore

/// Reads and validates a config file, including the password file.
enum ConfigLoader {
    static func load(path: String) -> Result<EndpointConfiguration, ConfigErrors> {
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(ConfigErrors(errors: [ConfigError(.unreadable, key: nil, line: nil, "cannot read \(path)")]))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return .failure(ConfigErrors(errors: [ConfigError(.unreadable, key: nil, line: nil, "\(path) is not UTF-8 text")]))
        }
        let (entries, syntaxErrors) = ConfigFile.parse(text)
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
            errors.errors = (syntaxErrors + errors.errors).sorted { ($0.line ?? Int.max) < ($1.line ?? Int.max) }
            return .failure(errors)
        }
    }
}
