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

    /// Parameters of a header value, from bytes `HeaderScanner` has checked.
    init(headerBytes bytes: ArraySlice<UInt8>) {
        storage = bytes.contains(UInt8(ascii: ";")) ? .header(bytes) : .list([])
    }

    /// Parameters of a URI, from bytes `URIParser` has checked.
    init(uriBytes bytes: ArraySlice<UInt8>) {
        storage = bytes.isEmpty ? .list([]) : .uri(bytes)
    }

    /// Every parameter, in order.
    public var items: [Parameter] {
        switch storage {
        case .list(let l): return l
        case .header, .uri:
            var out: [Parameter] = []
            var cursor = Cursor(self)
            while let p = cursor.next() { out.append(Parameter(name: p.name, value: p.value)) }
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
            var i = b.startIndex
            while let (n, v) = Self.nextHeaderParameter(b, &i) {
                if CharClass.equalsIgnoringCase(n, name.utf8) { return .some(v.map { String(decoding: $0, as: UTF8.self) }) }
            }
            return nil
        case .uri(let b):
            var i = b.startIndex
            while let (n, v) = Self.nextURIParameter(b, &i) {
                let same = n.contains(UInt8(ascii: "%"))
                    ? (PercentEncoding.decode(n).map { Self.sameName($0, name) } ?? false)
                    : CharClass.equalsIgnoringCase(n, name.utf8)
                if same { return .some(v.map { PercentEncoding.decode($0) ?? String(decoding: $0, as: UTF8.self) }) }
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

    /// Walks parsed parameters, making Strings of each.
    private struct Cursor {
        let parameters: SIPParameters
        var i: Int
        init(_ p: SIPParameters) {
            parameters = p
            switch p.storage {
            case .list: i = 0
            case .header(let b), .uri(let b): i = b.startIndex
            }
        }

        mutating func next() -> (name: String, value: String?)? {
            switch parameters.storage {
            case .list(let l):
                guard i < l.count else { return nil }
                defer { i += 1 }
                return (l[i].name, l[i].value)
            case .header(let b):
                guard let (n, v) = SIPParameters.nextHeaderParameter(b, &i) else { return nil }
                return (String(decoding: n, as: UTF8.self), v.map { String(decoding: $0, as: UTF8.self) })
            case .uri(let b):
                guard let (n, v) = SIPParameters.nextURIParameter(b, &i) else { return nil }
                return (PercentEncoding.decode(n) ?? String(decoding: n, as: UTF8.self), v.map { PercentEncoding.decode($0) ?? String(decoding: $0, as: UTF8.self) })
            }
        }
    }

    /// The header parameter at `i` of checked bytes (`;` name [`=` value], LWS around), moving `i` past it.
    static func nextHeaderParameter(_ b: ArraySlice<UInt8>, _ i: inout Int) -> (ArraySlice<UInt8>, ArraySlice<UInt8>?)? {
        func skipLWS() { while i < b.endIndex, CharClass.isWhitespace(b[i]) { i += 1 } }
        skipLWS()
        guard i < b.endIndex, b[i] == UInt8(ascii: ";") else { return nil }
        i += 1
        skipLWS()
        let nameStart = i
        while i < b.endIndex, CharClass.isToken(b[i]) { i += 1 }
        let name = b[nameStart..<i]
        skipLWS()
        guard i < b.endIndex, b[i] == UInt8(ascii: "=") else { return (name, nil) }
        i += 1
        skipLWS()
        let valueStart = i
        if i < b.endIndex, b[i] == UInt8(ascii: "\"") {
            i += 1
            while i < b.endIndex, b[i] != UInt8(ascii: "\"") { i += b[i] == UInt8(ascii: "\\") ? 2 : 1 }
            i = Swift.min(i + 1, b.endIndex)
        } else {
            while i < b.endIndex, CharClass.isParameterValue(b[i]) { i += 1 }
        }
        return (name, b[valueStart..<i])
    }

    /// The URI parameter at `i` of checked bytes (`;` name [`=` value], still %-escaped), moving `i` past it.
    static func nextURIParameter(_ b: ArraySlice<UInt8>, _ i: inout Int) -> (ArraySlice<UInt8>, ArraySlice<UInt8>?)? {
        guard i < b.endIndex, b[i] == UInt8(ascii: ";") else { return nil }
        let start = i + 1
        let end = b[start...].firstIndex(of: UInt8(ascii: ";")) ?? b.endIndex
        i = end
        guard let eq = b[start..<end].firstIndex(of: UInt8(ascii: "=")) else { return (b[start..<end], nil) }
        return (b[start..<eq], b[(eq + 1)..<end])
    }
}
