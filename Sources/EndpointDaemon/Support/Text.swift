#if canImport(Glibc)
import Glibc
#endif

/// Small text helpers the daemon needs without Foundation (the daemon links
/// FoundationEssentials only: no ICU, a smaller footprint on every agent box).
enum Text {
    /// `n` in decimal with at least `width` digits (zero-padded).
    static func padded(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// `d` to three decimals at most; nil when it is not finite.
    static func rounded(_ d: Double) -> Double? { d.isFinite ? (d * 1000).rounded() / 1000 : nil }

    /// A figure with three decimals at most ("4.409", "0.05", "12"; "null" when not finite).
    static func figure(_ d: Double) -> String {
        guard let r = rounded(d) else { return "null" }
        return r == r.rounded() && abs(r) < 1e15 ? String(Int(r)) : String(r)
    }

    /// RFC 3339 UTC time with milliseconds, from seconds since the epoch.
    static func rfc3339(_ t: Double) -> String {
        var secs = time_t(t.rounded(.down))
        let ms = Int(((t - Double(secs)) * 1000).rounded(.down))
        var tmv = tm()
        gmtime_r(&secs, &tmv)
        return "\(padded(Int(tmv.tm_year) + 1900, 4))-\(padded(Int(tmv.tm_mon) + 1, 2))-\(padded(Int(tmv.tm_mday), 2))T"
            + "\(padded(Int(tmv.tm_hour), 2)):\(padded(Int(tmv.tm_min), 2)):\(padded(Int(tmv.tm_sec), 2)).\(padded(ms, 3))Z"
    }

    /// Writes `s` to standard error.
    static func printError(_ s: String) {
        var line = s
        if !line.hasSuffix("\n") { line += "\n" }
        line.utf8CString.withUnsafeBufferPointer { p in _ = write(2, p.baseAddress, p.count - 1) }
    }
}
