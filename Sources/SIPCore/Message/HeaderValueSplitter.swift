#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits a list-valued header line on the commas that separate values
/// (RFC 3261 §7.3.1), leaving commas inside quoted strings and `<...>` alone.
enum HeaderValueSplitter {
    static func split(_ value: String) -> [String] {
        var parts: [String] = []
        forEachPart(Array(value.utf8)[...]) { parts.append(String(decoding: $0, as: UTF8.self)) }
        return parts
    }

    /// Calls `body` with each value of the line, trimmed, as a slice of
    /// `line` (same indices: no copy, no String).
    @inline(__always)
    static func forEachPart<E: Error>(_ line: ArraySlice<UInt8>, _ body: (ArraySlice<UInt8>) throws(E) -> Void) throws(E) {
        // Most lines hold one value: no comma at all is one vectorised search, not a walk through quotes and brackets.
        guard hasComma(line) else { return try body(trimmed(line)) }
        var start = line.startIndex
        var inQuotes = false
        var inBrackets = false
        var i = line.startIndex
        while i < line.endIndex {
            let c = line[i]
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
                try body(trimmed(line[start..<i]))
                start = i + 1
            }
            i += 1
        }
        try body(trimmed(line[min(start, line.endIndex)...]))
    }

    static func hasComma(_ line: ArraySlice<UInt8>) -> Bool {
        line.withUnsafeBufferPointer { hasComma($0) }
    }

    static func hasComma(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
        p.baseAddress.map { memchr($0, 0x2C, p.count) != nil } ?? false
    }

    @inline(__always)
    static func trimmed(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var lo = s.startIndex, hi = s.endIndex
        while lo < hi, s[lo] == 0x20 || s[lo] == 0x09 { lo += 1 }
        while hi > lo, s[hi - 1] == 0x20 || s[hi - 1] == 0x09 { hi -= 1 }
        return s[lo..<hi]
    }
}
