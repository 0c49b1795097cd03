/// An ordered list of `;name[=value]` parameters (URI or header parameters).
/// Names compare case-insensitively; order and spelling are kept.
///
/// Parsed parameters stay the message's bytes (already checked by the
/// parser) until something asks: a lookup reads them in place and makes a
/// String of the one value it returns. Most messages are read for a tag or
/// a branch, so the others are never turned into Strings at all.
public struct SIPParameters: Hashable, Sendable, Sequence {
    public struct Parameter: Hashable, Sendable {
        public var name: String
        public var value: String?
        public init(name: String, value: String?) {
            self.name = name
            self.value = value
        }
    }

    enum Storage: Sendable {
        /// Built, or changed after parsing.
        case list([Parameter])
        /// `*(SEMI generic-param)` of a header value, LWS allowed around `;`
        /// and `=`; values verbatim (quoted strings keep their quotes).
        case header(ArraySlice<UInt8>)
        /// `*(";" uri-parameter)` of a URI; names and values %-decoded when read.
        case uri(ArraySlice<UInt8>)
    }

    private var storage: Storage

    public init(_ items: [Parameter] = []) { storage = .list(items) }

    /// Parameters of a header value that `HeaderScanner` found at least one in.
    init(checkedHeaderBytes bytes: ArraySlice<UInt8>) { storage = .header(bytes) }

    /// Parameters of a URI, from bytes `URIParser` has checked.
    init(uriBytes bytes: ArraySlice<UInt8>) {
        storage = bytes.isEmpty ? .list([]) : .uri(bytes)
    }

    /// Every parameter, in order.
    public var items: [Parameter] {
        switch storage {
        case .list(let l):
            return l
        case .header(let b):
            return HeaderScanner.scan(b, header: "") { s in
                var out: [Parameter] = []
                while let p = (try? s.nextParameter()) ?? nil {
                    out.append(Parameter(name: s.string(s.bytes[p.name]), value: p.value.map { s.string(s.bytes[$0]) }))
                }
                return out
            }
        case .uri(let b):
            var out: [Parameter] = []
            var i = b.startIndex
            while let p = Self.nextURIParameter(b, &i) {
                out.append(Parameter(name: Self.decoded(b[p.name]), value: p.value.map { Self.decoded(b[$0]) }))
            }
            return out
        }
    }

    public func makeIterator() -> IndexingIterator<[Parameter]> { items.makeIterator() }

    public var isEmpty: Bool {
        if case .list(let l) = storage { return l.isEmpty }
        return false
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    /// The value of a parameter; `.some(nil)` for a flag without a value.
    public subscript(name: String) -> String?? {
        switch storage {
        case .list(let l):
            return l.firstIndex { Self.sameName($0.name, name) }.map { l[$0].value }
        case .header(let b):
            var key = name
            return key.withUTF8 { k in b.withUnsafeBufferPointer { GenericParameterGrammar.lookup($0, k) } }
        case .uri(let b):
            var i = b.startIndex
            while let p = Self.nextURIParameter(b, &i) {
                let n = b[p.name]
                let same = n.contains(UInt8(ascii: "%")) ? Self.sameName(Self.decoded(n), name) : CharClass.equalsIgnoringCase(n, name.utf8)
                if same { return .some(p.value.map { Self.decoded(b[$0]) }) }
            }
            return nil
        }
    }

    /// Sets (or adds) a parameter; `nil` sets a flag without value.
    public mutating func set(_ name: String, _ value: String?) {
        var l = items
        if let i = l.firstIndex(where: { Self.sameName($0.name, name) }) {
            l[i].value = value
        } else {
            l.append(Parameter(name: name, value: value))
        }
        storage = .list(l)
    }

    public mutating func remove(_ name: String) {
        var l = items
        l.removeAll { Self.sameName($0.name, name) }
        storage = .list(l)
    }

    public static func == (a: Self, b: Self) -> Bool { a.items == b.items }
    public func hash(into h: inout Hasher) { h.combine(items) }

    /// Names compare ASCII case-insensitively (parameter names are tokens);
    /// the same spelling, the usual case, is one comparison.
    static func sameName(_ a: String, _ b: String) -> Bool { a == b || CharClass.equalsIgnoringCase(a.utf8, b.utf8) }

    /// A checked URI component, %-decoded.
    private static func decoded(_ b: ArraySlice<UInt8>) -> String { PercentEncoding.decode(b) ?? String(decoding: b, as: UTF8.self) }

    /// The URI parameter at `i` (`;` name [`=` value], still %-escaped) as
    /// ranges of `b`, moving `i` past it; nil unless `;` is at `i`. The one
    /// split of the grammar, for `URIParser`'s check and for reading.
    static func nextURIParameter<C: Collection<UInt8>>(_ b: C, _ i: inout Int) -> (name: Range<Int>, value: Range<Int>?)? where C.Index == Int {
        guard i < b.endIndex, b[i] == UInt8(ascii: ";") else { return nil }
        let start = i + 1
        let end = b[start...].firstIndex(of: UInt8(ascii: ";")) ?? b.endIndex
        i = end
        guard let eq = b[start..<end].firstIndex(of: UInt8(ascii: "=")) else { return (start..<end, nil) }
        return (start..<eq, (eq + 1)..<end)
    }
}
