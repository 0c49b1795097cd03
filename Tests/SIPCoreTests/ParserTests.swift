import Testing
@testable import SIPCore

let registerText = """
REGISTER sip:registrar.example.com SIP/2.0\r
Via: SIP/2.0/UDP 192.0.2.10:5060;rport;branch=z9hG4bK776asdhds\r
Max-Forwards: 70\r
To: Agent <sip:7001@example.com>\r
From: "Agent 7001" <sip:7001@example.com>;tag=456248\r
Call-ID: 843817637684230@998sdasdh09\r
CSeq: 1826 REGISTER\r
Contact: <sip:7001@192.0.2.10:5060>;expires=3600, <sip:7001@198.51.100.1>;q=0.5\r
Expires: 7200\r
Content-Length: 0\r
\r

"""

@Suite struct ParserTests {
    @Test func parsesRequestLineAndHeaders() throws {
        let m = try SIPMessage.parse(registerText)
        let line = try #require(m.requestLine)
        #expect(line.method == .register)
        #expect(line.uri.host == "registrar.example.com")
        #expect(line.version == "SIP/2.0")
        #expect(m.headers.count == 9)
        #expect(m.callID == "843817637684230@998sdasdh09")
        #expect(try m.cseq == SIPCSeq(1826, .register))
        #expect(m.expires == 7200)
        #expect(m.maxForwards == 70)
        #expect(m.from?.tag == "456248")
        #expect(m.from?.displayName == "Agent 7001")
        #expect(m.to?.displayName == "Agent")
        #expect(m.contacts.count == 2)
        #expect(m.contacts[1].address?.parameters["q"] == .some("0.5"))
        let via = try #require(m.topVia)
        #expect(via.transport == "UDP")
        #expect(via.port == 5060)
        #expect(via.branch == "z9hG4bK776asdhds")
        #expect(via.rport == .some(nil))
        try m.validate()
    }

    @Test func compactFormsAndCaseInsensitiveNames() throws {
        let text = "OPTIONS sip:a@b SIP/2.0\r\nv: SIP/2.0/TCP h;branch=z9hG4bK1\r\nf: <sip:x@y>;tag=1\r\nt: <sip:a@b>\r\ni: abc\r\nCSEQ: 1 OPTIONS\r\nm: <sip:x@h>\r\nl: 0\r\nk: path\r\nMAX-forwards: 1\r\n\r\n"
        let m = try SIPMessage.parse(text)
        #expect(m.headers[.via] == "SIP/2.0/TCP h;branch=z9hG4bK1")
        #expect(m.headers[SIPHeaderName("call-id")] == "abc")
        #expect(m.headers[.supported] == "path")
        #expect(m.headers[.maxForwards] == "1")
        #expect(SIPHeaderName("v") == .via)
        #expect(SIPHeaderName("X-Custom") == SIPHeaderName("x-custom"))
        #expect(SIPHeaderName("X-Custom").canonical == "X-Custom")
        try m.validate()
    }

    /// A known name is taken without a byte-by-byte token check when it
    /// matches exactly (letters case-folded): a byte that only looks like
    /// one under a blunter fold (CR for '-', '@' for '`') is still refused,
    /// in every place of every known name, long or short, and at the end of
    /// the message (where the name is compared byte by byte).
    @Test func knownNamesMatchExactBytesOnly() throws {
        let names = ["Via", "From", "To", "Call-ID", "CSeq", "Contact", "Content-Length", "Max-Forwards", "Record-Route",
                     "WWW-Authenticate", "Proxy-Authorization", "Expires", "Server", "User-Agent", "i", "v"]
        for name in names {
            for atEnd in [false, true] {
                func message(_ n: [UInt8]) -> [UInt8] {
                    let head = Array("OPTIONS sip:a@b SIP/2.0\r\n".utf8) + (atEnd ? [] : Array("X-Before: 1\r\n".utf8))
                    return head + n + Array(": 0\r\n".utf8) + (atEnd ? [] : Array("X-After: padding-padding-padding\r\n".utf8)) + Array("\r\n".utf8)
                }
                let spelled = Array(name.utf8)
                let upper = Array(name.uppercased().utf8), lower = Array(name.lowercased().utf8)
                for variant in [spelled, upper, lower] {
                    // The first try agrees with the full lookup on every common name.
                    let padded = variant + Array(repeating: 0x20, count: 8)
                    let common = padded.withUnsafeBufferPointer { SIPHeaderName.commonID(UnsafeBufferPointer(rebasing: $0[0..<variant.count]), readable: $0.count) }
                    let isCommon = ["Via", "From", "To", "Call-ID", "CSeq", "Contact", "Content-Length", "Max-Forwards", "Expires"].contains(name)
                    #expect(common == (isCommon ? SIPHeaderName(name).id : 0), "commonID of \(String(decoding: variant, as: UTF8.self))")
                    let m = try SIPMessage.parse(message(variant))
                    #expect(m.headers[SIPHeaderName(name)] == "0", "\(String(decoding: variant, as: UTF8.self)) at end \(atEnd)")
                }
                func fold(_ b: UInt8) -> UInt8 { (0x41...0x5A).contains(b) ? b | 0x20 : b }
                for place in spelled.indices {
                    for wrong: UInt8 in [0x0D, 0x00, 0x2C, 0x40, 0x60, 0x7F, spelled[place] ^ 0x01, spelled[place] ^ 0x20] {
                        var bad = spelled
                        bad[place] = wrong
                        // The other case of the same letter is the same name.
                        guard bad.map(fold) != spelled.map(fold) else { continue }
                        let text = String(decoding: bad, as: UTF8.self)
                        // Word by word (padded) and byte by byte (no room to read ahead) agree.
                        let padded = bad + Array(repeating: 0x20, count: 24)
                        let wide = padded.withUnsafeBufferPointer { SIPHeaderName.knownID(UnsafeBufferPointer(rebasing: $0[0..<bad.count]), readable: $0.count) }
                        let narrow = bad.withUnsafeBufferPointer { SIPHeaderName.knownID($0, readable: 0) }
                        #expect(wide == narrow && (wide == 0 || SIPHeaderName(id: wide) != SIPHeaderName(name)), "\(text)")
                        // The parser's first try for the common names takes no near miss either.
                        let common = padded.withUnsafeBufferPointer { SIPHeaderName.commonID(UnsafeBufferPointer(rebasing: $0[0..<bad.count]), readable: $0.count) }
                        #expect(common == 0 || common == wide, "\(text): commonID \(common), knownID \(wide)")
                        if let m = try? SIPMessage.parse(message(bad)) {
                            // Accepted only as some other (extension) name, never as the known one.
                            #expect(m.headers[SIPHeaderName(name)] == nil, "\(text) taken as \(name)")
                        }
                    }
                }
            }
        }
        // LWS between a known name and its colon.
        let m = try SIPMessage.parse("OPTIONS sip:a@b SIP/2.0\r\nCall-ID \t: abc\r\nX-After: padding-padding-padding\r\n\r\n")
        #expect(m.callID == "abc")
        #expect(throws: SIPParseError.self) { try SIPMessage.parse("OPTIONS sip:a@b SIP/2.0\r\nCall\rID: abc\r\nX-After: padding-padding-padding\r\n\r\n") }
    }

    @Test func unfoldsContinuationLines() throws {
        let text = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nSubject: one\r\n  two\r\n\tthree\r\nf: <sip:x@y>;tag=1\r\nt: <sip:a@b>\r\ni: abc\r\nCSeq: 1 OPTIONS\r\n\r\n"
        let m = try SIPMessage.parse(text)
        #expect(m.headers[.subject] == "one two three")
    }

    @Test func splitsListsRespectingQuotesAndBrackets() {
        let parts = HeaderValueSplitter.split(#""Doe, John" <sip:a@b;x=1,2>;p="q,r", <sip:c@d>"#)
        #expect(parts == [#""Doe, John" <sip:a@b;x=1,2>;p="q,r""#, "<sip:c@d>"])
        var h = SIPHeaders()
        h.append(.via, "SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2")
        h.append(.via, "SIP/2.0/TCP c;branch=z9hG4bK3")
        #expect(h.values(.via).count == 3)
        h.append(.subject, "a, b")
        #expect(h.values(.subject) == ["a, b"])
    }

    @Test func contactWildcardAndExpires() throws {
        #expect(try SIPContact(parsing: " * ") == .wildcard)
        let c = try SIPContact(parsing: "<sip:u@h>;expires=60;+sip.instance=\"<urn:uuid:1>\"")
        #expect(c.address?.parameters["expires"] == .some("60"))
        #expect(c.address?.parameters["+sip.instance"] == .some("\"<urn:uuid:1>\""))
    }

    @Test func datagramFramingByContentLength() throws {
        // Body shorter than the datagram: the rest is ignored (RFC 3261 §18.3).
        let m = try SIPMessage.parse(registerText.replacingContentLength(with: 3) + "abcTRAILING")
        #expect(m.body == Array("abc".utf8))
        // No Content-Length: the body is the rest of the datagram.
        let noCL = registerText.replacingOccurrences("Content-Length: 0\r\n", with: "") + "xyz"
        #expect(try SIPMessage.parse(noCL).body == Array("xyz".utf8))
    }

    @Test(arguments: [
        ("", SIPParseError.Code.empty),
        ("REGISTER sip:a SIP/2.0", .incomplete),
        ("REGISTER sip:a SIP/2.0\r\nVia: x\r\n", .incomplete),
        ("REGISTER sip:a SIP/2.0\r\nContent-Length: 10\r\n\r\nabc", .contentLengthMismatch),
        ("REGISTER sip:a SIP/2.0\r\nContent-Length: -1\r\n\r\n", .badContentLength),
        ("REGISTER sip:a SIP/2.0\r\nContent-Length: five\r\n\r\n", .badContentLength),
        ("REGISTER sip:a SIP/2.0\r\nContent-Length: 99999999999999999999\r\n\r\n", .badContentLength),
        ("REGISTER sip:a SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\nab", .badContentLength),
        ("REGISTER  sip:a SIP/2.0\r\n\r\n", .badStartLine),
        ("REGISTER sip:a SIP/2.0 \r\n\r\n", .badStartLine),
        ("REGISTER <sip:a> SIP/2.0\r\n\r\n", .badURI),
        ("REGISTER sip:a HTTP/1.1\r\n\r\n", .badVersion),
        ("SIP/2.0 2000 OK\r\n\r\n", .badStatusCode),
        ("SIP/2.0 099 Low\r\n\r\n", .badStatusCode),
        ("REGISTER sip:a SIP/2.0\r\nBad Header: x\r\n\r\n", .badHeader),
        ("REGISTER sip:a SIP/2.0\r\n: novalue\r\n\r\n", .badHeader),
        ("REGISTER sip:a SIP/2.0\r\n continuation\r\n\r\n", .badHeader),
        ("REGISTER sip:a SIP/2.0\nVia: x\n\n", .badStartLine),
    ])
    func rejectsMalformed(_ text: String, _ code: SIPParseError.Code) {
        #expect(throws: SIPParseError.self) { try SIPMessage.parse(text) }
        do {
            _ = try SIPMessage.parse(text)
        } catch {
            #expect(error.code == code, "\(error)")
            #expect(error.offset >= 0 && error.offset <= text.utf8.count + 1)
        }
    }

    @Test func rejectsNonUTF8AndReportsOffset() throws {
        var bytes = Array("OPTIONS sip:a@b SIP/2.0\r\nSubject: ".utf8)
        let offset = bytes.count
        bytes += [0xC3, 0x28, 0x0D, 0x0A, 0x0D, 0x0A]
        do {
            _ = try SIPMessage.parse(bytes)
            Issue.record("accepted invalid UTF-8")
        } catch {
            #expect(error.code == .badHeader)
            #expect(error.offset == offset)
            #expect(error.isRequest)
        }
    }

    /// The line search reads sixteen, then eight bytes at a time: values of
    /// every length around those steps, with a non-ASCII byte at every
    /// place, must end at their own LF and be judged as UTF-8 exactly when
    /// they hold one.
    @Test func headerLinesOfEveryLengthAndPlaceOfANonASCIIByte() throws {
        for length in 0..<50 {
            for place in -1..<length {
                for (bad, fill) in [(false, [UInt8]([0xC3, 0xA9])), (true, [0xFF])] {
                    var value = Array(repeating: UInt8(ascii: "a"), count: length)
                    if place >= 0 { value.replaceSubrange(place..<(place + 1), with: fill) }
                    var bytes = Array("OPTIONS sip:a@b SIP/2.0\r\nSubject: ".utf8)
                    let offset = bytes.count
                    bytes += value + Array("\r\nX-After: z\r\n\r\n".utf8)
                    let what = "length \(length), \(bad ? "0xFF" : "é") at \(place)"
                    if place >= 0 && bad {
                        do {
                            _ = try SIPMessage.parse(bytes)
                            Issue.record("accepted invalid UTF-8: \(what)")
                        } catch {
                            #expect(error.code == .badHeader && error.offset == offset, "\(what)")
                        }
                    } else {
                        let m = try SIPMessage.parse(bytes)
                        #expect(m.headers[.subject].map { Array($0.utf8) } == value, "\(what)")
                        #expect(m.headers[SIPHeaderName("X-After")] == "z", "\(what)")
                    }
                }
            }
        }
    }

    @Test func nulInsideHeaderValueIsKeptNotTruncated() throws {
        var bytes = Array("OPTIONS sip:a@b SIP/2.0\r\nX-Nul: a".utf8)
        bytes += [0x00]
        bytes += Array("b\r\n\r\n".utf8)
        let m = try SIPMessage.parse(bytes)
        #expect(m.headers[SIPHeaderName("X-Nul")]?.utf8.count == 3)
    }

    @Test func enforcesSizeAndHeaderCountLimits() {
        let huge = "OPTIONS sip:a@b SIP/2.0\r\nX-Big: " + String(repeating: "a", count: 70_000) + "\r\n\r\n"
        #expect(throws: SIPParseError.self) { try SIPMessage.parse(huge) }
        let limits = SIPParserLimits(maxMessageSize: 100_000, maxHeaderFields: 10)
        let many = "OPTIONS sip:a@b SIP/2.0\r\n" + String(repeating: "X-A: 1\r\n", count: 11) + "\r\n"
        do {
            _ = try SIPMessage.parse(many, limits: limits)
            Issue.record("accepted too many headers")
        } catch {
            #expect(error.code == .tooManyHeaders)
        }
    }

    /// The usual reason phrases are taken as literals only when the bytes
    /// are exactly those; any other spelling is kept as received.
    @Test func reasonPhrasesAreKeptAsReceived() throws {
        for (line, reason) in [("200 OK", "OK"), ("200 Ok", "Ok"), ("200 OKAY", "OKAY"), ("200 O", "O"), ("180 Ringing", "Ringing"),
                               ("180 OK", "OK"), ("487 Request Terminated", "Request Terminated"), ("487 Request terminated", "Request terminated"),
                               ("183 Session Progress ", "Session Progress "), ("100 Trying", "Trying"), ("299 OK", "OK")] {
            let m = try SIPMessage.parse("SIP/2.0 \(line)\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n")
            #expect(m.statusLine?.reason == reason, "\(line)")
            #expect(m.statusLine?.version == "SIP/2.0")
        }
        #expect(try SIPMessage.parse("SIP/3.10 200 OK\r\n\r\n").statusLine?.version == "SIP/3.10")
    }

    /// A request line's method ends at its first SP wherever that is: a
    /// SP at index 7 (where a status line's version ends) proves nothing.
    @Test func requestLineSplitsAtTheFirstSpace() throws {
        do {
            _ = try SIPMessage.parse("BYE abc SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n")
            Issue.record("accepted a Request-URI without a scheme")
        } catch {
            #expect(error.reason.hasPrefix("Request-URI"), "\(error)")
        }
        #expect(try SIPMessage.parse("OPTIONS sip:a@b SIP/2.0\r\n\r\n").requestLine?.method == .options)
        #expect(try SIPMessage.parse("REGISTER sip:b SIP/2.0\r\n\r\n").requestLine?.uri.host == "b")
    }

    /// Header fields are held as 32-bit offsets: the size limit cannot be
    /// set past what they can address.
    @Test func messageSizeLimitFitsThirtyTwoBitOffsets() {
        var limits = SIPParserLimits(maxMessageSize: Int.max)
        #expect(limits.maxMessageSize == Int(Int32.max))
        limits.maxMessageSize = Int(Int32.max) + 10
        #expect(limits.maxMessageSize == Int(Int32.max))
        limits.maxMessageSize = 2048
        #expect(limits.maxMessageSize == 2048)
    }

    @Test func responseWithEmptyReasonAndUTF8Reason() throws {
        let m = try SIPMessage.parse("SIP/2.0 100 \r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n")
        #expect(m.statusLine == SIPStatusLine(code: 100, reason: ""))
        let u = try SIPMessage.parse("SIP/2.0 200 Всё хорошо\r\n\r\n")
        #expect(u.statusLine?.reason == "Всё хорошо")
    }

    @Test func validationFindsSemanticErrors() throws {
        func check(_ replace: String, _ with: String, _ code: SIPParseError.Code) throws {
            let m = try SIPMessage.parse(registerText.replacingOccurrences(replace, with: with))
            do {
                try m.validate()
                Issue.record("validated: \(with)")
            } catch {
                #expect(error.code == code, "\(with): \(error)")
                #expect(error.partialHeaders != nil)
            }
        }
        try check("CSeq: 1826 REGISTER", "CSeq: 1826 INVITE", .cseqMethodMismatch)
        try check("CSeq: 1826 REGISTER", "CSeq: 36893488147419103232 REGISTER", .badHeaderValue)
        try check("Max-Forwards: 70", "Max-Forwards: 300", .badHeaderValue)
        try check("Call-ID: 843817637684230@998sdasdh09\r\n", "", .missingHeader)
        try check("Expires: 7200", "Call-ID: again", .duplicateHeader)
        try check(#"From: "Agent 7001" <sip:7001@example.com>"#, #"From: "Agent 7001 <sip:7001@example.com>"#, .badHeaderValue)
        try check("branch=z9hG4bK776asdhds", "branch=z9hG4bK776asdhds;;", .badHeaderValue)
        // The method is compared case-sensitively (RFC 3261 §7.1), on the one-pass path too.
        try check("CSeq: 1826 REGISTER", "CSeq: 1826 register", .cseqMethodMismatch)
        try check("Call-ID: 843817637684230@998sdasdh09", "Call-ID: two words", .badHeaderValue)
        try check("Max-Forwards: 70", "Max-Forwards: 70\r\nMax-Forwards: 70", .duplicateHeader)
        // The Call-ID is searched for whitespace and controls a word at a
        // time: one at every place of every length around a word is found.
        for length in 1..<20 {
            for place in 0..<length {
                // (LWS at either end is trimmed off the value.)
                for c in ["\t", "\u{01}", "\u{1F}"] where c != "\t" || (place > 0 && place < length - 1) {
                    var id = Array(repeating: "x", count: length)
                    id[place] = c
                    try check("Call-ID: 843817637684230@998sdasdh09", "Call-ID: " + id.joined(), .badHeaderValue)
                }
            }
            let m = try SIPMessage.parse(registerText.replacingOccurrences("843817637684230@998sdasdh09", with: String(repeating: "!", count: length)))
            #expect(throws: Never.self) { try m.validate() }
        }
    }

    /// Validation reads the fields in one pass, but reports faults in a
    /// fixed order whatever the order of the fields: counts first, then
    /// Via, CSeq, From, To, Contact, Call-ID, Max-Forwards.
    @Test func validationReportsFaultsInAFixedOrder() throws {
        func fault(_ text: String) throws -> SIPParseError? {
            do { try SIPMessage.parse(text).validate(); return nil } catch { return error }
        }
        let badFrom = registerText.replacingOccurrences(#"From: "Agent 7001" <sip:7001@example.com>"#, with: #"From: <sip:7001@example.com"#)
        let badFromAndVia = badFrom.replacingOccurrences("branch=z9hG4bK776asdhds", with: "branch=")
        let badFromAndMaxForwards = badFrom.replacingOccurrences("Max-Forwards: 70", with: "Max-Forwards: x")
        #expect(try fault(badFrom)?.reason.hasPrefix("From") == true)
        #expect(try fault(badFromAndVia)?.reason.hasPrefix("Via") == true, "Via before From")
        #expect(try fault(badFromAndMaxForwards)?.reason.hasPrefix("From") == true, "From before Max-Forwards")
        let fromFirst = "REGISTER sip:example.com SIP/2.0\r\nFrom: <sip:a@example.com;tag=1\r\nTo: <sip:a@example.com>\r\n"
            + "Call-ID: 1\r\nCSeq: 1 INVITE\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n"
        #expect(try fault(fromFirst)?.code == .cseqMethodMismatch, "CSeq before From, although From comes first")
        let missingTo = fromFirst.replacingOccurrences("To: <sip:a@example.com>\r\n", with: "")
        #expect(try fault(missingTo)?.code == .missingHeader, "a missing header before any syntax")
        let good = "INVITE sip:7002@example.com SIP/2.0\r\nVia: SIP/2.0/TLS h.example.com:5061;branch=z9hG4bK2\r\nMax-Forwards: 70\r\n"
            + "From: \"Agent\" <sip:7001@example.com>;tag=9\r\nTo: <sip:7002@example.com>\r\nCall-ID: c@h\r\nCSeq: 7 INVITE\r\n"
            + "Contact: <sip:7001@192.0.2.1:5061;transport=tls>\r\n\r\n"
        #expect(try fault(good) == nil)
        let m = try SIPMessage.parse(good)
        #expect(try m.cseq == SIPCSeq(7, .invite) && m.method == .invite)
    }

    @Test func typedHeadersRoundTrip() throws {
        let via = try SIPVia(parsing: "SIP / 2.0 / tcp [2001:db8::1]:5061;branch=z9hG4bKx;received=[2001:db8::9]")
        #expect(via.transport == "TCP")
        #expect(via.host == "2001:db8::1")
        #expect(via.received == "2001:db8::9")
        #expect(try SIPVia(parsing: via.description) == via)
        let na = try SIPNameAddress(parsing: #""Quote \" and \\ back" <sip:u@h;lr>;tag=1"#)
        #expect(na.displayName == #"Quote " and \ back"#)
        #expect(try SIPNameAddress(parsing: na.description) == na)
        let bare = try SIPNameAddress(parsing: "sip:+19725552222@gw1.example.net;unknownparam")
        #expect(bare.uri.parameters.isEmpty)
        #expect(bare.parameters.contains("unknownparam"))
        #expect(throws: SIPParseError.self) { try SIPNameAddress(parsing: "sip:user@example.com?Route=%3Csip:x%3E") }
    }
}

extension String {
    func replacingOccurrences(_ target: String, with replacement: String) -> String {
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: target) {
            out += rest[..<r.lowerBound] + replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }

    func replacingContentLength(with n: Int) -> String {
        replacingOccurrences("Content-Length: 0", with: "Content-Length: \(n)")
    }
}

extension Substring {
    func range(of target: String) -> Range<Substring.Index>? {
        let t = Array(target.utf8)
        guard !t.isEmpty else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].utf8.starts(with: t) {
                return i..<self.utf8.index(i, offsetBy: t.count)
            }
            i = index(after: i)
        }
        return nil
    }
}
