/// An ordered list of `;name[=value]` parameters (URI or header parameters).
/// Names compare case-insensitively; order and spelling are kept.
public struct SIPParameters: Hashable, Sendable, Sequence {
    public struct Parameter: Hashable, Sendable {
        public var name: String
        public var value: String?
        public init(name: String, value: String?) {
            self.name = name
            self.value = value
        }
    }

    public private(set) var items: [Parameter]
    public init(_ items: [Parameter] = []) { self.items = items }

    public func makeIterator() -> IndexingIterator<[Parameter]> { items.makeIterator() }
    public var isEmpty: Bool { items.isEmpty }

    public func contains(_ name: String) -> Bool { index(of: name) != nil }

    /// The value of a parameter; `.some(nil)` for a flag without a value.
    public subscript(name: String) -> String?? {
        get { index(of: name).map { items[$0].value } }
    }

    /// Sets (or adds) a parameter; `nil` sets a flag without value.
    public mutating func set(_ name: String, _ value: String?) {
        if let i = index(of: name) {
            items[i].value = value
        } else {
            items.append(Parameter(name: name, value: value))
        }
    }

    public mutating func remove(_ name: String) {
        items.removeAll { Self.sameName($0.name, name) }
    }

    private func index(of name: String) -> Int? {
        items.firstIndex { Self.sameName($0.name, name) }
    }

    /// Names compare ASCII case-insensitively (parameter names are tokens);
    /// the same spelling, the usual case, is one comparison.
    static func sameName(_ a: String, _ b: String) -> Bool { a == b || CharClass.equalsIgnoringCase(a.utf8, b.utf8) }
}
