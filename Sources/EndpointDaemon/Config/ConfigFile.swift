/// One `key = value` line of a config file.
public struct ConfigEntry: Sendable, Hashable {
    public var key: String
    public var value: String
    public var line: Int
}

/// The file format: UTF-8 lines `key = value`, `#` comments, blank lines.
/// Values are taken verbatim after trimming (a `#` inside a value is kept,
/// passwords may contain it); only whole-line comments exist.
public enum ConfigFile {
    public static func parse(_ text: String) -> (entries: [ConfigEntry], errors: [ConfigError]) {
        var entries: [ConfigEntry] = []
        var errors: [ConfigError] = []
        var seen: [String: Int] = [:]
        var lineNumber = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Substring(raw)
            if line.last == "\r" { line = line.dropLast() }
            let trimmed = line.trimmingCharacters(in: " \t")
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let eq = trimmed.firstIndex(of: "=") else {
                errors.append(ConfigError(.syntax, key: nil, line: lineNumber, "expected 'key = value'"))
                continue
            }
            let key = trimmed[..<eq].trimmingCharacters(in: " \t")
            let value = trimmed[trimmed.index(after: eq)...].trimmingCharacters(in: " \t")
            guard !key.isEmpty else {
                errors.append(ConfigError(.syntax, key: nil, line: lineNumber, "missing key before '='"))
                continue
            }
            if let first = seen[key] {
                errors.append(ConfigError(.duplicateKey, key: key, line: lineNumber, "already set on line \(first)"))
                continue
            }
            seen[key] = lineNumber
            entries.append(ConfigEntry(key: key, value: value, line: lineNumber))
        }
        return (entries, errors)
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}

/// Levenshtein distance, for "did you mean" suggestions on unknown keys.
enum EditDistance {
    static func between(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// The candidate nearest to `key`. A key far longer than any key name is
    /// no typo of one, and would cost its length times each name's (found by
    /// fuzzing the config file: a 3 KB unknown key took seconds); each
    /// distance is computed once.
    static func closest(to key: String, in candidates: [String]) -> String? {
        guard key.utf8.count <= 128 else { return nil }
        var best: (name: String, distance: Int)?
        for c in candidates {
            let d = between(key, c)
            if best.map({ d < $0.distance }) ?? true { best = (c, d) }
        }
        return best?.name
    }
}
