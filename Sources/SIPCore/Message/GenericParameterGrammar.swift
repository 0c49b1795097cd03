#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `*( SEMI generic-param )` (RFC 3261 §25.1) read straight from bytes:
/// the one reading of the grammar, for `HeaderScanner`'s check (which
/// turns a failure into an error naming the header) and for
/// `SIPParameters`' lookups in bytes already checked.
///
/// It works on a buffer pointer and index pairs, with no scanner, closure
/// or String in between: a tag or branch is looked up in every message,
/// and the general scanner cost over a thousand instructions a lookup.
enum GenericParameterGrammar {
    /// What `next` found at the position it was given.
    enum Step {
        /// No `;` follows (only LWS was skipped).
        case end
        /// `; name [= value]`: ranges of the bytes; a quoted value keeps its quotes.
        case parameter(name: Range<Int>, value: Range<Int>?)
        /// Malformed: why; `next` leaves the position at the fault.
        case failure(Fault)
    }

    /// Why a parameter list or quoted string is malformed: a plain value
    /// (the grammar runs on every message; its text is made only for an
    /// error).
    enum Fault: Equatable {
        case badName
        /// The parameter whose name is at this range has `=` and no value.
        case emptyValue(name: Range<Int>)
        case badQuotedPair
        case unterminatedQuote

        func text(in p: UnsafeBufferPointer<UInt8>) -> String {
            switch self {
            case .badName: return "empty or invalid parameter name"
            case .emptyValue(let name): return "parameter '\(String(decoding: UnsafeBufferPointer(rebasing: p[name]), as: UTF8.self))' has an empty value"
            case .badQuotedPair: return "bad quoted-pair"
            case .unterminatedQuote: return "unterminated quoted string"
            }
        }
    }

    @inline(__always)
    static func skipLWS(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int) {
        // One compare for the usual case, a byte above SP (no LWS here).
        while i < p.count, p[i] <= 0x20, p[i] == 0x20 || p[i] == 0x09 { i &+= 1 }
    }

    /// The next `; name [= value]` at `i`, LWS around `;` and `=`; moves
    /// `i` past it (or past the LWS when `.end`).
    @inline(__always)
    static func next(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> Step {
        skipLWS(p, &i)
        guard i < p.count, p[i] == UInt8(ascii: ";") else { return .end }
        i += 1
        skipLWS(p, &i)
        let nameStart = i
        i = CharClass.shortRunEnd(p, from: i, CharClass.tokenBit)
        guard i > nameStart else { return .failure(.badName) }
        let name = nameStart..<i
        skipLWS(p, &i)
        guard i < p.count, p[i] == UInt8(ascii: "=") else { return .parameter(name: name, value: nil) }
        i += 1
        skipLWS(p, &i)
        let valueStart = i
        if i < p.count, p[i] == UInt8(ascii: "\"") {
            if let why = skipQuoted(p, &i) { return .failure(why) }
        } else {
            i = CharClass.runEnd(p, from: i, CharClass.parameterValueBit)
            guard i > valueStart else { return .failure(.emptyValue(name: name)) }
        }
        return .parameter(name: name, value: valueStart..<i)
    }

    /// Moves past the quoted-string whose opening quote is at `i`, checking
    /// its quoted-pairs. Returns why it is malformed, or nil; `escaped` is
    /// set when it holds any quoted-pair.
    @inline(__always)
    static func skipQuoted(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int, escaped: UnsafeMutablePointer<Bool>? = nil) -> Fault? {
        i += 1
        // Nearly every quoted string (a +sip.instance URN, a display name)
        // holds no backslash: two vectorised searches instead of a walk.
        if let base = p.baseAddress, i < p.count, let q = memchr(base + i, 0x22, p.count - i) {
            let close = base.distance(to: q.assumingMemoryBound(to: UInt8.self))
            if memchr(base + i, 0x5C, close - i) == nil {
                i = close + 1
                return nil
            }
        }
        while i < p.count {
            let c = p[i]
            if c == UInt8(ascii: "\\") {
                guard i + 1 < p.count, p[i + 1] != 0x0A, p[i + 1] != 0x0D, p[i + 1] < 0x80 else { return .badQuotedPair }
                escaped?.pointee = true
                i += 2
            } else {
                i += 1
                if c == UInt8(ascii: "\"") { return nil }
            }
        }
        return .unterminatedQuote
    }

    /// A parameter name a one-pass grammar notes the value of (`branch`,
    /// `tag`, `expires`): lower-case letters, at most eight, held as one
    /// little-endian word, so each name in a list is matched with one
    /// load, one mask and one compare instead of a byte loop. The words
    /// are constants (`UsualFormGrammarTests.wantedNamesSpellTheirNames`
    /// spells them out).
    struct Wanted {
        let count: Int
        let word: UInt64

        static let branch = Wanted(count: 6, word: 0x6863_6E61_7262)
        static let tag = Wanted(count: 3, word: 0x67_6174)
        static let expires = Wanted(count: 7, word: 0x73_6572_6970_7865)

        /// Whether the name at `name` is this one, ASCII case-insensitively:
        /// `| 0x20` folds the case of a letter and can make no other byte
        /// equal to one.
        @inline(__always)
        func matches(_ p: UnsafeBufferPointer<UInt8>, _ name: Range<Int>) -> Bool {
            guard name.count == count, let base = p.baseAddress else { return false }
            if name.lowerBound &+ 8 <= p.count {
                let keep = UInt64.max >> (64 &- 8 &* UInt64(count))
                let w = UInt64(littleEndian: UnsafeRawPointer(base).loadUnaligned(fromByteOffset: name.lowerBound, as: UInt64.self))
                return (w | 0x2020_2020_2020_2020) & keep == word
            }
            // Fewer than eight bytes left: byte by byte.
            for j in 0..<count where UInt64(p[name.lowerBound &+ j] | 0x20) != (word >> (8 &* UInt64(j))) & 0xFF { return false }
            return true
        }
    }

    /// The value of parameter `key` (ASCII case-insensitive) in checked
    /// bytes: `.some(nil)` for a flag, nil when absent.
    static func lookup(_ p: UnsafeBufferPointer<UInt8>, _ key: UnsafeBufferPointer<UInt8>) -> String?? {
        lookupRange(p, key).map { $0.map { String(decoding: UnsafeBufferPointer(rebasing: p[$0]), as: UTF8.self) } }
    }

    /// Where the value of parameter `key` is in checked bytes (a quoted
    /// value with its quotes): `.some(nil)` for a flag, nil when absent.
    static func lookupRange(_ p: UnsafeBufferPointer<UInt8>, _ key: UnsafeBufferPointer<UInt8>) -> Range<Int>?? {
        // In checked bytes every ';' before the first quoted string starts a
        // parameter, so the values between need not be read: a tag or a
        // branch is looked up in nearly every message. At a quote, the
        // grammar reads them all (a quoted ';' separates nothing).
        var i = 0
        while i < p.count {
            let c = p[i]
            i += 1
            if c == UInt8(ascii: "\"") { return lookupByGrammar(p, key) }
            guard c == UInt8(ascii: ";") else { continue }
            skipLWS(p, &i)
            let nameStart = i
            i = CharClass.runEnd(p, from: i, CharClass.tokenBit)
            guard i - nameStart == key.count, CharClass.equalsIgnoringCase(p[nameStart..<i], key) else { continue }
            skipLWS(p, &i)
            guard i < p.count, p[i] == UInt8(ascii: "=") else { return .some(nil) }
            i += 1
            skipLWS(p, &i)
            let valueStart = i
            if i < p.count, p[i] == UInt8(ascii: "\"") { return lookupByGrammar(p, key) }
            while i < p.count, CharClass.isParameterValue(p[i]) { i += 1 }
            return .some(valueStart..<i)
        }
        return nil
    }

    /// `lookupRange` through the grammar, for bytes with quoted strings
    /// (whose `;` do not separate parameters).
    static func lookupByGrammar(_ p: UnsafeBufferPointer<UInt8>, _ key: UnsafeBufferPointer<UInt8>) -> Range<Int>?? {
        var i = 0
        while case .parameter(let name, let value) = next(p, &i) {
            if CharClass.equalsIgnoringCase(p[name], key) { return .some(value) }
        }
        return nil
    }
}
