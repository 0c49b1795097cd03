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
/// round-trips. Every field is a plain record of byte ranges into one
/// buffer — the received bytes, shared rather than copied, plus whatever
/// was added later — so parsing allocates no String and retains nothing
/// per field; values become Strings only when read. Most messages are
/// matched to a transaction by a handful of headers, and building a String
/// for every value would dominate parse time.
public struct SIPHeaders: Hashable, Sendable, Sequence {
    struct Entry: Sendable {
        /// Known-name id (``SIPHeaderName``), or 0 for an extension header
        /// whose spelling is `storage[nameLo..<nameHi]`.
        var id: UInt8
        var nameLo: Int32
        var nameHi: Int32
        var lo: Int32
        var hi: Int32
    }

    private var storage: [UInt8]
    private var entries: Records

    public init(_ fields: [SIPHeaderField] = []) {
        storage = []
        entries = Records()
        for f in fields { append(f.name, f.value) }
    }

    init(storage: [UInt8], capacity: Int) {
        self.storage = storage
        entries = Records(capacity: capacity)
    }

    private func bytes(_ lo: Int32, _ hi: Int32) -> ArraySlice<UInt8> { storage[Int(lo)..<Int(hi)] }

    private func value(_ e: Entry) -> String { String(decoding: bytes(e.lo, e.hi), as: UTF8.self) }

    private func name(_ e: Entry) -> SIPHeaderName {
        e.id != 0 ? SIPHeaderName(id: e.id) : SIPHeaderName(custom: String(decoding: bytes(e.nameLo, e.nameHi), as: UTF8.self))
    }

    private func matches(_ e: Entry, _ name: SIPHeaderName) -> Bool {
        if e.id != 0 || name.id != 0 { return e.id == name.id }
        return self.name(e) == name
    }

    /// The fields as name/value pairs, in order.
    public var fields: [SIPHeaderField] { entries.map { SIPHeaderField(name: name($0), value: value($0)) } }

    public func makeIterator() -> IndexingIterator<[SIPHeaderField]> { fields.makeIterator() }
    public var count: Int { entries.count }

    /// The first field value with this name.
    public subscript(name: SIPHeaderName) -> String? {
        get {
            for e in entries where matches(e, name) { return value(e) }
            return nil
        }
        set {
            remove(name)
            if let newValue { append(name, newValue) }
        }
    }

    /// Every field line with this name, in order (not split on commas).
    public func lines(_ name: SIPHeaderName) -> [String] {
        entries.filter { matches($0, name) }.map(value)
    }

    /// Every value with this name, list-valued lines split on top-level commas.
    public func values(_ name: SIPHeaderName) -> [String] {
        var out: [String] = []
        for e in entries where matches(e, name) {
            if name.isListValued {
                out.append(contentsOf: HeaderValueSplitter.split(value(e)))
            } else {
                out.append(value(e))
            }
        }
        return out
    }

    /// The first value with this name as bytes of the buffer (a slice: no
    /// copy, no String). Its `startIndex` is its offset in the buffer — the
    /// message offset for a received field. For the typed parsers.
    func firstValueBytes(_ name: SIPHeaderName) -> ArraySlice<UInt8>? {
        for e in entries where matches(e, name) { return bytes(e.lo, e.hi) }
        return nil
    }

    /// Calls `body` with every value with this name (list-valued lines split
    /// on top-level commas) as bytes of the buffer, in order.
    func forEachValueBytes<E: Error>(_ name: SIPHeaderName, _ body: (ArraySlice<UInt8>) throws(E) -> Void) throws(E) {
        for e in entries where matches(e, name) {
            if name.isListValued {
                try HeaderValueSplitter.forEachPart(bytes(e.lo, e.hi), body)
            } else {
                try body(bytes(e.lo, e.hi))
            }
        }
    }

    /// Calls `body` with these headers, the buffer and each field's
    /// known-name id and value range, in order: one pass with no slice or
    /// String per field (message validation). `body` reads the headers
    /// through its first argument, which is borrowed: a closure that
    /// captured them would retain and release both arrays.
    func forEachField<E: Error>(_ body: (SIPHeaders, UInt8, UnsafeBufferPointer<UInt8>, Range<Int>) throws(E) -> Void) throws(E) {
        // Both buffers in place: iterating `entries` itself would copy
        // (retain and release) it for the iterator.
        try entries.withUnsafeBufferPointer { (fields) throws(E) in
            try storage.withUnsafeBufferPointer { (p) throws(E) in
                for e in fields { try body(self, e.id, p, Int(e.lo)..<Int(e.hi)) }
            }
        }
    }

    /// Runs `body` with the whole buffer (offsets `forEachField` gave index it).
    func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R { storage.withUnsafeBufferPointer(body) }

    /// Bytes of the buffer (a range `forEachField` gave).
    func bytes(in r: Range<Int>) -> ArraySlice<UInt8> { storage[r] }

    /// How many fields carry each of the four given names, in one pass.
    func counts(_ a: SIPHeaderName, _ b: SIPHeaderName, _ c: SIPHeaderName, _ d: SIPHeaderName) -> (Int, Int, Int, Int) {
        var n = (0, 0, 0, 0)
        for e in entries {
            if matches(e, a) { n.0 += 1 } else if matches(e, b) { n.1 += 1 } else if matches(e, c) { n.2 += 1 } else if matches(e, d) { n.3 += 1 }
        }
        return n
    }

    public func contains(_ name: SIPHeaderName) -> Bool { entries.contains { matches($0, name) } }
    public func count(of name: SIPHeaderName) -> Int { entries.reduce(0) { $0 + (matches($1, name) ? 1 : 0) } }

    /// Appends bytes to the buffer and returns their range.
    private mutating func store(_ s: String) -> (Int32, Int32) {
        let lo = Int32(storage.count)
        storage.append(contentsOf: s.utf8)
        return (lo, Int32(storage.count))
    }

    private mutating func entry(_ name: SIPHeaderName, _ value: String) -> Entry {
        var (nlo, nhi): (Int32, Int32) = (0, 0)
        if name.id == 0 { (nlo, nhi) = store(name.canonical) }
        let (lo, hi) = store(value)
        return Entry(id: name.id, nameLo: nlo, nameHi: nhi, lo: lo, hi: hi)
    }

    public mutating func append(_ name: SIPHeaderName, _ value: String) {
        entries.append(entry(name, value))
    }

    /// Inserts before the first field (Via on sending).
    public mutating func prepend(_ name: SIPHeaderName, _ value: String) {
        entries.insert(entry(name, value), at: 0)
    }

    public mutating func remove(_ name: SIPHeaderName) {
        // Matching reads the buffer (an extension header's name): a copy
        // of the headers reads it while `entries` is being changed.
        let current = self
        entries.removeAll { current.matches($0, name) }
    }

    /// Replaces the value of the first field with this name, keeping its position.
    public mutating func replaceFirst(_ name: SIPHeaderName, with value: String) {
        if let i = entries.firstIndex(where: { matches($0, name) }) {
            let (lo, hi) = store(value)
            entries[i].lo = lo
            entries[i].hi = hi
        } else {
            append(name, value)
        }
    }

    /// Parser: a field whose name and value are ranges of the received
    /// bytes, appended to headers made by ``init(storage:capacity:)`` and
    /// not yet copied (``Records/appendUnique(_:)``). The ranges fit 32
    /// bits: the parser's message size limit is at most `Int32.max`.
    @inline(__always)
    mutating func appendRange(id: UInt8, name: Range<Int>, value: Range<Int>) {
        entries.appendUnique(Entry(id: id, nameLo: Int32(truncatingIfNeeded: name.lowerBound), nameHi: Int32(truncatingIfNeeded: name.upperBound),
                             lo: Int32(truncatingIfNeeded: value.lowerBound), hi: Int32(truncatingIfNeeded: value.upperBound)))
    }

    /// Parser: joins a folded continuation onto the last field.
    mutating func continueLast(with text: String) {
        let last = value(entries[entries.count - 1])
        let (lo, hi) = store(last.isEmpty ? text : last + " " + text)
        entries[entries.count - 1].lo = lo
        entries[entries.count - 1].hi = hi
    }

    /// Writes `name: value\r\n` for every field straight from the buffer.
    /// Only the first Content-Length is written, with `lengthValue`.
    func write(into out: inout [UInt8], lengthValue: String) -> Bool {
        var wroteLength = false
        for e in entries {
            if e.id == SIPHeaderName.contentLength.id {
                if wroteLength { continue }
                wroteLength = true
                out.append(contentsOf: "Content-Length: ".utf8)
                out.append(contentsOf: lengthValue.utf8)
            } else {
                if e.id != 0 { out.append(contentsOf: SIPHeaderName(id: e.id).canonical.utf8) } else { out.append(contentsOf: bytes(e.nameLo, e.nameHi)) }
                out.append(0x3A); out.append(0x20)
                out.append(contentsOf: bytes(e.lo, e.hi))
            }
            out.append(0x0D); out.append(0x0A)
        }
        return wroteLength
    }

    public static func == (a: SIPHeaders, b: SIPHeaders) -> Bool {
        guard a.entries.count == b.entries.count else { return false }
        for (x, y) in zip(a.entries, b.entries) {
            guard x.id == y.id, a.bytes(x.lo, x.hi) == b.bytes(y.lo, y.hi) else { return false }
            if x.id == 0, a.name(x) != b.name(y) { return false }
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        for e in entries {
            hasher.combine(name(e))
            hasher.combine(bytes(e.lo, e.hi).count)
            for b in bytes(e.lo, e.hi) { hasher.combine(b) }
        }
    }
}
