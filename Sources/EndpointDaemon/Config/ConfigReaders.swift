import RTPMedia

/// The value readers every key of the schema shares: one for booleans,
/// paths, seconds and device lists, so each rule and its message exist once.
extension ConfigSchema {
    /// The one path check of the config: files and directories are named absolutely.
    static func absolutePath(_ v: String) -> String? { v.hasPrefix("/") ? nil : "must be an absolute path" }

    /// The one seconds reader of the config: decimals allowed, within `range`.
    static func seconds(_ v: String, _ range: ClosedRange<Double>) -> Duration? {
        guard let n = Double(v), range.contains(n) else { return nil }
        return .milliseconds(Int64((n * 1000).rounded()))
    }

    static func secondsProblem(_ range: ClosedRange<Double>) -> String {
        func text(_ d: Double) -> String { d == d.rounded() ? String(Int(d)) : String(d) }
        return "must be from \(text(range.lowerBound)) to \(text(range.upperBound)) seconds"
    }

    /// The one boolean reader of the config: true/1/yes, false/0/no (any case).
    static func flag(_ v: String) -> Bool? {
        switch v.lowercased() {
        case "true", "1", "yes": true
        case "false", "0", "no": false
        default: nil
        }
    }

    /// A comma list of ALSA names or regular expressions (`*` = any); nil
    /// when empty or when an entry is not a valid regular expression.
    static func deviceList(_ v: String) -> [String]? {
        let names = v.split(separator: ",").map { String($0).trimmingCharacters(in: " ") }.filter { !$0.isEmpty }
        guard !names.isEmpty, names.allSatisfy({ $0 == "*" || AudioDeviceSettings.regex($0) != nil }) else { return nil }
        return names
    }
}
