#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bounds the parser enforces on untrusted input.
public struct SIPParserLimits: Sendable, Hashable {
    /// Largest message (start line + headers + body) accepted, in bytes;
    /// at most `Int32.max` (header fields are held as 32-bit offsets).
    public var maxMessageSize: Int {
        didSet { maxMessageSize = min(maxMessageSize, Int(Int32.max)) }
    }
    /// Most header field lines accepted in one message.
    public var maxHeaderFields: Int

    public init(maxMessageSize: Int = 65_536, maxHeaderFields: Int = 256) {
        self.maxMessageSize = min(maxMessageSize, Int(Int32.max))
        self.maxHeaderFields = maxHeaderFields
    }

    public static let `default` = SIPParserLimits()
}

/// The start line and headers of a message, with where they ended: the
/// message (no body yet), the offset of the first body byte (just past the
/// empty line) and the Content-Length value, when the header was present.
/// A tuple, so a caller takes the message apart from the rest without a
/// copy (a struct's field would be copied out and the struct destroyed).
typealias ParsedHead = (message: SIPMessage, bodyStart: Int, contentLength: Int?)

extension SIPMessage {
    /// Parses one message with datagram framing (RFC 3261 §18.3): the body is
    /// Content-Length bytes, or everything after the headers when the header
    /// is absent; bytes past Content-Length are ignored; a Content-Length
    /// larger than what arrived is an error.
    public static func parse(_ bytes: [UInt8], limits: SIPParserLimits = .default) throws(SIPParseError) -> SIPMessage {
        try bytes.withUnsafeBufferPointer { (buf) throws(SIPParseError) -> SIPMessage in
            try parseDatagram(buf, storage: bytes, limits: limits)
        }
    }

    /// Parses one message from a string (tests and tools).
    public static func parse(_ text: String, limits: SIPParserLimits = .default) throws(SIPParseError) -> SIPMessage {
        try parse(Array(text.utf8), limits: limits)
    }

    static func parseDatagram(_ buf: UnsafeBufferPointer<UInt8>, storage: [UInt8], limits: SIPParserLimits) throws(SIPParseError) -> SIPMessage {
        guard buf.count <= limits.maxMessageSize else {
            throw SIPParseError(.tooLarge, "message of \(buf.count) bytes exceeds the limit of \(limits.maxMessageSize)", offset: limits.maxMessageSize)
        }
        let (message, bodyStart, contentLength) = try SIPMessageParser.parseHead(buf, storage: storage, limits: limits, requireEnd: true)
        let available = buf.count - bodyStart
        var bodyCount = available
        if let cl = contentLength {
            guard cl <= available else {
                throw SIPParseError(.contentLengthMismatch, "Content-Length \(cl) is larger than the \(available) body bytes received",
                                    offset: bodyStart, isRequest: message.isRequest, partialHeaders: message.headers)
            }
            bodyCount = cl
        }
        guard bodyCount > 0 else { return message }
        var withBody = consume message
        withBody.body = Array(buf[bodyStart..<(bodyStart + bodyCount)])
        return withBody
    }
}

extension SIPMessage.StartLine {
    var isRequest: Bool {
        if case .request = self { return true }
        return false
    }
}

enum SIPMessageParser {
    static let cr: UInt8 = 0x0D, lf: UInt8 = 0x0A, sp: UInt8 = 0x20, ht: UInt8 = 0x09, colon: UInt8 = 0x3A

    /// Offset of the next LF at or after `from`, or nil.
    @inline(__always)
    static func findLF(_ buf: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        guard from < buf.count, let base = buf.baseAddress else { return nil }
        guard let p = memchr(base + from, Int32(lf), buf.count - from) else { return nil }
        return base.distance(to: p.assumingMemoryBound(to: UInt8.self))
    }

    /// Parses the start line and header section. `requireEnd` demands the
    /// empty line that closes the headers (always true today; streams call
    /// this only once they have seen it).
    static func parseHead(_ buf: UnsafeBufferPointer<UInt8>, storage: [UInt8], limits: SIPParserLimits, requireEnd: Bool) throws(SIPParseError) -> ParsedHead {
        var pos = 0
        // RFC 3261 §7.5: CRLFs before the start line are ignored.
        while pos + 1 < buf.count, buf[pos] == cr, buf[pos + 1] == lf { pos += 2 }
        guard pos < buf.count else { throw SIPParseError(.empty, "no message", offset: pos) }
        guard let firstLF = findLF(buf, from: pos) else {
            throw SIPParseError(.incomplete, "start line is not terminated by CRLF", offset: buf.count)
        }
        guard firstLF > pos, buf[firstLF - 1] == cr else {
            throw SIPParseError(.badStartLine, "start line does not end in CRLF", offset: firstLF)
        }
        // The start line is read after the header fields (its errors come
        // after theirs, with the fields as partial headers), so it is made
        // once, straight into the result. Whether it is a request is what
        // StartLineParser decides by: a status line starts with "SIP/".
        let startLineBytes = UnsafeBufferPointer(rebasing: buf[pos..<(firstLF - 1)])
        let isRequest = !(startLineBytes.count >= 4 && startLineBytes[0] == 0x53 && startLineBytes[1] == 0x49
            && startLineBytes[2] == 0x50 && startLineBytes[3] == 0x2F)

        var headers = SIPHeaders(storage: storage, capacity: 16)
        var contentLength: Int?
        var line = firstLF + 1
        var bodyStart: Int?
        var headerError: SIPParseError?
        parsing: while line < buf.count {
            var high: UInt64 = 0
            var colonSeen = -1
            guard let lfAt = WordScan.findLF(buf, from: line, high: &high, colon: &colonSeen) else { break }
            guard lfAt > line, buf[lfAt - 1] == cr else {
                headerError = SIPParseError(.badHeader, "header line ends in a bare LF", offset: lfAt, isRequest: isRequest)
                break
            }
            let end = lfAt - 1
            if end == line { bodyStart = lfAt + 1; break }
            let first = buf[line]
            if first == sp || first == ht {
                // Folded continuation (RFC 3261 §7.3.1): joins the previous value with one SP.
                guard headers.count > 0 else {
                    headerError = SIPParseError(.badHeader, "continuation line without a header", offset: line, isRequest: isRequest)
                    break
                }
                let piece = trim(buf, line, end)
                if piece.lowerBound < piece.upperBound {
                    guard let text = makeString(buf, piece) else {
                        headerError = SIPParseError(.badHeader, "header value is not valid UTF-8", offset: piece.lowerBound, isRequest: isRequest)
                        break
                    }
                    headers.continueLast(with: text)
                }
                line = lfAt + 1
                continue
            }
            guard headers.count < limits.maxHeaderFields else {
                headerError = SIPParseError(.tooManyHeaders, "more than \(limits.maxHeaderFields) header fields", offset: line, isRequest: isRequest)
                break
            }
            // A known name before the line's first ':' (found in the LF
            // search) needs no byte-by-byte check: knownID matches exact
            // bytes (letters case-folded), and every known name is a token.
            var knownID: UInt8 = 0
            var nameEnd = colonSeen
            let colonAt: Int
            if colonSeen > line {
                while nameEnd > line, buf[nameEnd - 1] == sp || buf[nameEnd - 1] == ht { nameEnd -= 1 }
                let name = UnsafeBufferPointer(rebasing: buf[line..<nameEnd])
                knownID = SIPHeaderName.commonID(name, readable: buf.count - line)
                if knownID == 0 { knownID = SIPHeaderName.knownID(name, readable: buf.count - line) }
            }
            if knownID != 0 {
                colonAt = colonSeen
            } else {
                // The name is a token; ':' and LWS are not token characters,
                // so one class test per byte finds where it ends.
                nameEnd = min(CharClass.runEnd(buf, from: line, CharClass.tokenBit), end)
                if nameEnd < end, buf[nameEnd] != colon, buf[nameEnd] != sp, buf[nameEnd] != ht {
                    headerError = SIPParseError(.badHeader, "invalid character 0x\(String(buf[nameEnd], radix: 16)) in header name", offset: nameEnd, isRequest: isRequest)
                    break parsing
                }
                var c = nameEnd
                while c < end, buf[c] == sp || buf[c] == ht { c += 1 }
                guard nameEnd > line, c < end, buf[c] == colon else {
                    headerError = SIPParseError(.badHeader, "header line has no name followed by ':'", offset: line, isRequest: isRequest)
                    break
                }
                colonAt = c
                // A colon found in the first step was tried above, with this name.
                if colonSeen <= line {
                    knownID = SIPHeaderName.knownID(UnsafeBufferPointer(rebasing: buf[line..<nameEnd]), readable: buf.count - line)
                }
            }
            let nameBytes = UnsafeBufferPointer(rebasing: buf[line..<nameEnd])
            let valueRange = trim(buf, colonAt + 1, end)
            // The line's bytes are ASCII (nearly always), or the value must be UTF-8.
            guard high & 0x8080_8080_8080_8080 == 0 || isValidUTF8(buf, valueRange) else {
                headerError = SIPParseError(.badHeader, "value of \(String(decoding: nameBytes, as: UTF8.self)) is not valid UTF-8", offset: valueRange.lowerBound, isRequest: isRequest)
                break
            }
            if knownID == SIPHeaderName.contentLengthID {
                guard let n = parseContentLength(buf, valueRange, limits: limits) else {
                    headerError = SIPParseError(.badContentLength, "Content-Length '\(makeString(buf, valueRange) ?? "")' is not a length between 0 and \(limits.maxMessageSize)", offset: valueRange.lowerBound, isRequest: isRequest)
                    break
                }
                if let previous = contentLength, previous != n {
                    headerError = SIPParseError(.badContentLength, "conflicting Content-Length values \(previous) and \(n)", offset: valueRange.lowerBound, isRequest: isRequest)
                    break
                }
                contentLength = n
            }
            headers.appendRange(id: knownID, name: line..<nameEnd, value: valueRange)
            line = lfAt + 1
        }
        if var headerError {
            headerError.partialHeaders = headers
            throw headerError
        }
        guard let bodyStart else {
            if requireEnd {
                throw SIPParseError(.incomplete, "header section is not closed by an empty line", offset: buf.count, isRequest: isRequest, partialHeaders: headers)
            }
            throw SIPParseError(.incomplete, "incomplete header section", offset: buf.count, isRequest: isRequest)
        }
        let startLine: SIPMessage.StartLine
        do throws(SIPParseError) {
            startLine = try StartLineParser.parse(startLineBytes, base: pos, storage: storage)
        } catch {
            var error = error
            error.isRequest = isRequest
            error.partialHeaders = headers
            throw error
        }
        return (SIPMessage(startLine: startLine, headers: headers), bodyStart, contentLength)
    }

    /// A String from message bytes: ASCII (nearly every header) skips the
    /// generic UTF-8 validation; anything else must be valid UTF-8.
    @inline(__always)
    static func makeString(_ buf: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String? {
        let slice = UnsafeBufferPointer(rebasing: buf[r])
        var high: UInt8 = 0
        for b in slice { high |= b }
        if high < 0x80 { return String(decoding: slice, as: UTF8.self) }
        return String(validating: slice, as: UTF8.self)
    }

    @inline(__always)
    static func isValidUTF8(_ buf: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        // ASCII check eight bytes at a time: nearly every value is ASCII.
        let raw = UnsafeRawPointer(buf.baseAddress!)
        var i = r.lowerBound
        var high: UInt64 = 0
        while i + 8 <= r.upperBound {
            high |= raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < r.upperBound { high |= UInt64(buf[i]); i += 1 }
        if high & 0x8080_8080_8080_8080 == 0 { return true }
        return String(validating: UnsafeBufferPointer(rebasing: buf[r]), as: UTF8.self) != nil
    }

    @inline(__always)
    static func trim(_ buf: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> Range<Int> {
        var lo = lo, hi = hi
        // A byte above SP first: one compare where there is no LWS.
        while lo < hi, buf[lo] <= sp, buf[lo] == sp || buf[lo] == ht { lo &+= 1 }
        while hi > lo, buf[hi &- 1] <= sp, buf[hi &- 1] == sp || buf[hi &- 1] == ht { hi &-= 1 }
        return lo..<hi
    }

    @inline(__always)
    static func parseContentLength(_ buf: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, limits: SIPParserLimits) -> Int? {
        guard !r.isEmpty, r.count <= 10 else { return nil }
        var n = 0
        for i in r {
            let c = buf[i]
            guard c >= 0x30, c <= 0x39 else { return nil }
            n = n * 10 + Int(c - 0x30)
        }
        return n <= limits.maxMessageSize ? n : nil
    }
}

