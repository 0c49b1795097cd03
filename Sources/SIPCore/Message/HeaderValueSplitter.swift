/// Splits a list-valued header line on the commas that separate values
/// (RFC 3261 §7.3.1), leaving commas inside quoted strings and `<...>` alone.
enum HeaderValueSplitter {
    static func split(_ value: String) -> [String] {
        var parts: [String] = []
        let utf8 = Array(value.utf8)
        var start = 0
        var inQuotes = false
        var inBrackets = false
        var i = 0
        while i < utf8.count {
            let c = utf8[i]
            if inQuotes {
                if c == UInt8(ascii: "\\") { i += 2; continue }
                if c == UInt8(ascii: "\"") { inQuotes = false }
            } else if c == UInt8(ascii: "\"") {
                inQuotes = true
            } else if c == UInt8(ascii: "<") {
                inBrackets = true
            } else if c == UInt8(ascii: ">") {
                inBrackets = false
            } else if c == UInt8(ascii: ","), !inBrackets {
                parts.append(trimmed(utf8[start..<i]))
                start = i + 1
            }
            i += 1
        }
        parts.append(trimmed(utf8[start...]))
        return parts
    }

    private static func trimmed(_ s: ArraySlice<UInt8>) -> String {
        var lo = s.startIndex, hi = s.endIndex
        while lo < hi, s[lo] == 0x20 || s[lo] == 0x09 { lo += 1 }
        while hi > lo, s[hi - 1] == 0x20 || s[hi - 1] == 0x09 { hi -= 1 }
        return String(decoding: s[lo..<hi], as: UTF8.self)
    }
}
