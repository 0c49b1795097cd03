/// One header field line as received (after unfolding) or as built.
public struct SIPHeaderField: Hashable, Sendable {
    public var name: SIPHeaderName
    /// The value with surrounding whitespace removed and folded lines joined.
    public var value: String

    public init(name: SIPHeaderName, value: String) {
        self.name = name
        self.value = value
    }
}

/// The ordered header fields of a SIP message.
///
/// Fields keep their order and repetition exactly as received, so a message
/// round-trips. Parsed fields point into the received bytes (shared, not
/// copied) and become Strings only when read: most messages are matched to
/// a transaction by a handful of headers, and building a String for every
/// value would dominate parse time. Typed accessors (``SIPMessage/vias`` and
/// friends) parse values on demand.
public struct SIPHeaders: Hashable, Sendable, Sequence {
    enum Value: Sendable {
        case range(Int32, Int32)
        case string(String)
    }

    struct Entry: Sendable {
        var name: SIPHeaderName
        var value: Value
    }

    /// The received message bytes that `.range` values point into.
    private var storage: [UInt8]
    private var entries: [Entry]

    public init(_ fields: [SIPHeaderField] = []) {
        storage = []
        entries = fields.map { Entry(name: $0.name, value: .string($0.value)) }
    }

    init(storage: [UInt8], capacity: Int) {
        self.storage = storage
        entries = []
        entries.reserveCapacity(capacity)
    }

    private func string(_ v: Value) -> String {
        switch v {
        case .string(let s): return s
        case .range(let lo, let hi):
            return storage.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[Int(lo)..<Int(hi)]), as: UTF8.self) }
        }
    }

    /// The fields as name/value pairs, in order.
    public var fields: [SIPHeaderField] { entries.map { SIPHeaderField(name: $0.name, value: string($0.value)) } }

    public func makeIterator() -> IndexingIterator<[SIPHeaderField]> { fields.makeIterator() }
    public var count: Int { entries.count }

    /// The first field value with this name.
    public subscript(name: SIPHeaderName) -> String? {
        get {
            for e in entries where e.name == name { return string(e.value) }
            return nil
        }
        set {
            remove(name)
            if let newValue { append(name, newValue) }
        }
    }

    /// Every field line with this name, in order (not split on commas).
    public func lines(_ name: SIPHeaderName) -> [String] {
        entries.filter { $0.name == name }.map { string($0.value) }
    }

    /// Every value with this name, list-valued lines split on top-level commas.
    public func values(_ name: SIPHeaderName) -> [String] {
        var out: [String] = []
        for e in entries where e.name == name {
            if name.isListValued {
                out.append(contentsOf: HeaderValueSplitter.split(string(e.value)))
            } else {
                out.append(string(e.value))
            }
        }
        return out
    }

    public func contains(_ name: SIPHeaderName) -> Bool { entries.contains { $0.name == name } }
    public func count(of name: SIPHeaderName) -> Int { entries.reduce(0) { $0 + ($1.name == name ? 1 : 0) } }

    public mutating func append(_ name: SIPHeaderName, _ value: String) {
        entries.append(Entry(name: name, value: .string(value)))
    }

    /// Inserts before the first field (Via on sending).
    public mutating func prepend(_ name: SIPHeaderName, _ value: String) {
        entries.insert(Entry(name: name, value: .string(value)), at: 0)
    }

    public mutating func remove(_ name: SIPHeaderName) { entries.removeAll { $0.name == name } }

    /// Replaces the value of the first field with this name, keeping its position.
    public mutating func replaceFirst(_ name: SIPHeaderName, with value: String) {
        if let i = entries.firstIndex(where: { $0.name == name }) {
            entries[i].value = .string(value)
        } else {
            append(name, value)
        }
    }

    mutating func appendRange(_ name: SIPHeaderName, _ r: Range<Int>) {
        entries.append(Entry(name: name, value: .range(Int32(r.lowerBound), Int32(r.upperBound))))
    }

    /// Joins a folded continuation onto the last field.
    mutating func continueLast(with text: String) {
        let last = string(entries[entries.count - 1].value)
        entries[entries.count - 1].value = .string(last.isEmpty ? text : last + " " + text)
    }

    /// Writes `name: value\r\n` for every field, without building Strings
    /// for values that still point into the received bytes.
    func write(into out: inout [UInt8], skipping skipped: SIPHeaderName? = nil, lengthValue: String? = nil) -> Bool {
        var wroteLength = false
        for e in entries {
            if e.name == .contentLength {
                if wroteLength { continue }
                wroteLength = true
            }
            out.append(contentsOf: e.name.canonical.utf8)
            out.append(0x3A); out.append(0x20)
            if e.name == .contentLength, let lengthValue {
                out.append(contentsOf: lengthValue.utf8)
            } else {
                switch e.value {
                case .string(let s): out.append(contentsOf: s.utf8)
                case .range(let lo, let hi): out.append(contentsOf: storage[Int(lo)..<Int(hi)])
                }
            }
            out.append(0x0D); out.append(0x0A)
        }
        return wroteLength
    }

    private func withValueBytes<R>(_ v: Value, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        switch v {
        case .string(var s): return s.withUTF8(body)
        case .range(let lo, let hi):
            return storage.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[Int(lo)..<Int(hi)])) }
        }
    }

    public static func == (a: SIPHeaders, b: SIPHeaders) -> Bool {
        guard a.entries.count == b.entries.count else { return false }
        for (x, y) in zip(a.entries, b.entries) {
            guard x.name == y.name else { return false }
            let same = a.withValueBytes(x.value) { xb in b.withValueBytes(y.value) { yb in xb.elementsEqual(yb) } }
            if !same { return false }
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        for e in entries {
            hasher.combine(e.name)
            withValueBytes(e.value) { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
    }
}
