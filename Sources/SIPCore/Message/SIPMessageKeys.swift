/// Where a part of a message is: two offsets into the message's bytes, so
/// holding one keeps no reference to them (no reference count, no copy).
/// Read it through the message it came from: ``SIPMessage/text(_:)``,
/// ``SIPMessage/bytes(_:equal:)``.
public struct SIPByteRange: Hashable, Sendable {
    public let lowerBound: Int32
    public let upperBound: Int32

    init(_ r: Range<Int>) {
        lowerBound = Int32(truncatingIfNeeded: r.lowerBound)
        upperBound = Int32(truncatingIfNeeded: r.upperBound)
    }

    /// `r`, relative to a value that starts at `offset` (both within a
    /// message, whose size limit keeps offsets within 32 bits).
    init(_ r: Range<Int>, at offset: Int) {
        lowerBound = Int32(truncatingIfNeeded: offset &+ r.lowerBound)
        upperBound = Int32(truncatingIfNeeded: offset &+ r.upperBound)
    }

    public var count: Int { Int(upperBound - lowerBound) }
    var range: Range<Int> { Int(lowerBound)..<Int(upperBound) }
}

/// The header fields that the transaction, dialog and registration layers
/// read from every message, checked and typed in one pass over the header
/// fields (``SIPMessage/keys()``, which is also the message's validation):
/// numbers as numbers, texts as ``SIPByteRange``s of the message.
///
/// The typed values (``SIPMessage/vias``, ``SIPMessage/from``, ...) make a
/// String, an array or a reference-counted slice for each part; matching a
/// message to its transaction or dialog reads a branch, two tags and a
/// Call-ID, and comparing them in place costs a fraction of that. Like
/// sofia-sip's parsed headers, which point into the message buffer.
///
/// The ranges belong to the message value the keys were read from (a
/// changed header is not reflected).
public struct SIPMessageKeys: Hashable, Sendable {
    /// One Via value (RFC 3261 §20.42).
    public struct Via: Hashable, Sendable {
        /// The transport token as written (compare case-insensitively).
        public var transport: SIPByteRange
        /// The sent-by host as written; an IPv6 reference with its brackets.
        public var host: SIPByteRange
        public var port: UInt16?
        /// The parameters, from the first `;` to the end of the value.
        public var parameters: SIPByteRange?
        /// The `branch` value.
        public var branch: SIPByteRange?
    }

    /// The CSeq header (RFC 3261 §20.16).
    public struct CSeq: Hashable, Sendable {
        public var number: UInt32
        /// The method as written (compare with ``SIPMessage/bytes(_:equal:)``;
        /// a request's validation has checked it is the request's method).
        public var method: SIPByteRange
    }

    /// A From, To or Contact address (RFC 3261 §20.10, §20.20, §20.39).
    public struct Address: Hashable, Sendable {
        /// The URI, without the angle brackets.
        public var uri: SIPByteRange
        /// The header parameters, from the first `;` to the end of the value.
        public var parameters: SIPByteRange?
        /// The `tag` value (From and To; nil for a Contact).
        public var tag: SIPByteRange?
    }

    /// How many Via values there are (list-valued lines counted per value).
    public var viaCount: Int
    /// The first Via value: the one a response is matched by.
    public var topVia: Via
    public var from: Address
    public var to: Address
    public var callID: SIPByteRange
    /// A range rather than a ``SIPMethod``: the keys hold no String, so
    /// they are copied and returned as plain bytes.
    public var cseq: CSeq
    /// How many Contact values there are (`*` counts one).
    public var contactCount: Int
    /// The first Contact address (nil when there is none, or for `*`).
    public var contact: Address?
    /// The first Contact's `expires` parameter, when it is a number that fits 32 bits.
    public var contactExpires: UInt32?
    /// The Expires header, when it is a number that fits 32 bits.
    public var expires: UInt32?
    /// The Max-Forwards header.
    public var maxForwards: UInt8?

    /// Placeholders that the one pass overwrites (a valid message has each once).
    init() {
        let none = SIPByteRange(0..<0)
        viaCount = 0
        topVia = Via(transport: none, host: none, port: nil, parameters: nil, branch: nil)
        from = Address(uri: none, parameters: nil, tag: nil)
        to = from
        callID = none
        cseq = CSeq(number: 0, method: none)
        contactCount = 0
    }
}

extension SIPMessageKeys.Via {
    /// From the one-pass (or full) grammar's ranges of a value that starts
    /// at message offset `o`; `p` is the whole message.
    init(_ v: UsualFormGrammar.Via, at o: Int, in p: UnsafeBufferPointer<UInt8>) {
        transport = SIPByteRange(v.transport, at: o)
        host = SIPByteRange(v.host, at: o)
        port = v.port
        parameters = v.parameters.map { SIPByteRange($0, at: o) }
        branch = SIPMessageKeys.parameter("branch", wanted: v.wanted, at: o, in: parameters, p)
    }
}

extension SIPMessageKeys.Address {
    /// A From or To address; `a.wanted` is its tag, when the grammar looked for it.
    init(_ a: UsualFormGrammar.NameAddress, at o: Int, in p: UnsafeBufferPointer<UInt8>) {
        self.init(contact: a, at: o)
        tag = SIPMessageKeys.parameter("tag", wanted: a.wanted, at: o, in: parameters, p)
    }

    /// A Contact address (a tag means nothing there).
    init(contact a: UsualFormGrammar.NameAddress, at o: Int) {
        uri = SIPByteRange(a.uri, at: o)
        parameters = a.parameters.map { SIPByteRange($0, at: o) }
        tag = nil
    }
}

extension SIPMessageKeys {
    /// Where the value of parameter `name` is: as the one-pass grammar
    /// noted it on its way (`wanted`, relative to a value at offset `o`),
    /// or else looked up in the checked `parameters` of `p` (nil when
    /// absent or a flag without a value).
    static func parameter(_ name: StaticString, wanted: Range<Int>??, at o: Int, in parameters: SIPByteRange?,
                          _ p: UnsafeBufferPointer<UInt8>) -> SIPByteRange? {
        if let wanted { return wanted.map { SIPByteRange($0, at: o) } }
        return parameters.flatMap { parameter(name, in: $0, p) }
    }

    /// Where the value of parameter `name` is in the checked parameters at
    /// `r` of `p` (nil when absent or a flag without a value).
    static func parameter(_ name: StaticString, in r: SIPByteRange, _ p: UnsafeBufferPointer<UInt8>) -> SIPByteRange? {
        let key = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        guard let found = GenericParameterGrammar.lookupRange(UnsafeBufferPointer(rebasing: p[r.range]), key), let v = found else { return nil }
        return SIPByteRange(v, at: Int(r.lowerBound))
    }

    /// A decimal number that fits 32 bits, else nil (as ``SIPMessage/expires`` reads one).
    static func number32(_ p: UnsafeBufferPointer<UInt8>, _ r: SIPByteRange) -> UInt32? {
        guard let n = CharClass.number(p[r.range]), n <= UInt64(UInt32.max) else { return nil }
        return UInt32(n)
    }
}

extension SIPMessage {
    /// The text at `r` (a range of this message's keys).
    public func text(_ r: SIPByteRange) -> String {
        headers.withBytes { String(decoding: UnsafeBufferPointer(rebasing: $0[Self.checked(r, in: $0)]), as: UTF8.self) }
    }

    /// Whether the bytes at `r` (a range of this message's keys) spell `s`
    /// exactly, compared in place.
    public func bytes(_ r: SIPByteRange, equal s: String) -> Bool {
        var s = s
        return s.withUTF8 { u in headers.withBytes { p in CharClass.sameBytes(UnsafeBufferPointer(rebasing: p[Self.checked(r, in: p)]), u) } }
    }

    /// `r` as an index range of the message's bytes. A range from another
    /// message may not fit these bytes: that is a programming error, caught
    /// here rather than read past the end (as an array index would be).
    private static func checked(_ r: SIPByteRange, in p: UnsafeBufferPointer<UInt8>) -> Range<Int> {
        precondition(r.lowerBound >= 0 && r.lowerBound <= r.upperBound && Int(r.upperBound) <= p.count,
                     "SIPByteRange \(r.lowerBound)..<\(r.upperBound) is not a range of this message's \(p.count) bytes")
        return r.range
    }
}
