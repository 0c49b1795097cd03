import Testing
@testable import SIPCore

/// The header records' own buffer (SIPHeaders.Records) keeps the value
/// semantics of the array it replaced: copies are independent, the
/// parser's unchecked append grows past its first buffer, and every
/// mutation leaves the other copies as they were.
@Suite struct HeaderRecordsTests {
    typealias Entry = SIPHeaders.Entry

    static func entry(_ n: Int) -> Entry {
        Entry(id: UInt8(n % 7), nameLo: Int32(n), nameHi: Int32(n + 1), lo: Int32(2 * n), hi: Int32(2 * n + 3))
    }

    static func same(_ r: SIPHeaders.Records, _ expected: [Int]) -> Bool {
        guard r.count == expected.count else { return false }
        for (e, n) in zip(r, expected) {
            let x = entry(n)
            guard e.id == x.id, e.nameLo == x.nameLo, e.nameHi == x.nameHi, e.lo == x.lo, e.hi == x.hi else { return false }
        }
        return true
    }

    @Test func theParsersAppendGrowsPastItsFirstBuffer() {
        var r = SIPHeaders.Records(capacity: 4)
        for n in 0..<300 { r.appendUnique(Self.entry(n)) }
        #expect(Self.same(r, Array(0..<300)))
        let seen = r.withUnsafeBufferPointer { Array($0) }
        #expect(seen.count == 300 && seen[299].lo == 598)
    }

    @Test func copiesAreIndependent() {
        var a = SIPHeaders.Records(capacity: 4)
        for n in 0..<4 { a.appendUnique(Self.entry(n)) }
        var b = a
        b.append(Self.entry(9))
        #expect(Self.same(a, [0, 1, 2, 3]))
        #expect(Self.same(b, [0, 1, 2, 3, 9]))

        var c = a
        c[1] = Self.entry(8)
        #expect(Self.same(a, [0, 1, 2, 3]) && Self.same(c, [0, 8, 2, 3]))

        var d = a
        d.insert(Self.entry(7), at: 0)
        #expect(Self.same(a, [0, 1, 2, 3]) && Self.same(d, [7, 0, 1, 2, 3]))

        var e = a
        e.removeAll { $0.nameLo % 2 == 1 }
        #expect(Self.same(a, [0, 1, 2, 3]) && Self.same(e, [0, 2]))
    }

    @Test func emptyRecordsTakeEveryChange() {
        var r = SIPHeaders.Records()
        #expect(r.isEmpty)
        #expect(r.withUnsafeBufferPointer { $0.count } == 0)
        r.insert(Self.entry(1), at: 0)
        r.append(Self.entry(2))
        r.insert(Self.entry(3), at: 1)
        #expect(Self.same(r, [1, 3, 2]))
        r.removeAll { _ in true }
        #expect(r.isEmpty)
    }

    /// Through the public API: a parsed message's headers change without
    /// touching a copy of the message, with more fields than the parser's
    /// first buffer holds.
    @Test func parsedHeadersStayValues() throws {
        var text = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n"
        for n in 0..<40 { text += "X-Extra-\(n): value \(n)\r\n" }
        text += "Content-Length: 0\r\n\r\n"
        let m = try SIPMessage.parse(text)
        #expect(m.headers.count == 46)
        var changed = m
        changed.headers.remove(.via)
        changed.headers[.callID] = "other"
        changed.headers.prepend(.via, "SIP/2.0/UDP x;branch=z9hG4bK2")
        #expect(m.headers.count == 46 && m.headers[.callID] == "c" && m.headers.values(.via) == ["SIP/2.0/UDP h;branch=z9hG4bK1"])
        #expect(changed.headers[.callID] == "other" && changed.headers.values(.via) == ["SIP/2.0/UDP x;branch=z9hG4bK2"])
        #expect(m.headers[SIPHeaderName("X-Extra-39")] == "value 39")
    }
}
