#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Cuts a byte stream (TCP, TLS) into SIP messages by Content-Length
/// (RFC 3261 §18.3) and recognises RFC 5626 §3.5.1 keep-alives.
///
/// A thrown error means the stream can no longer be framed (missing or bad
/// Content-Length, oversized message): the connection must be closed.
public struct SIPStreamFramer: Sendable {
    public enum Frame: Sendable, Equatable {
        case message(SIPMessage)
        /// A malformed message whose extent is still known; the stream goes on.
        case invalid(SIPParseError)
        /// CRLFCRLF: the peer asks for a pong.
        case ping
        /// A lone CRLF: a pong, or stray bytes to ignore.
        case pong
    }

    public let limits: SIPParserLimits
    private var buffer: [UInt8] = []

    public init(limits: SIPParserLimits = .default) { self.limits = limits }

    /// Bytes received but not yet part of a complete frame.
    public var bufferedCount: Int { buffer.count }

    public mutating func append(_ bytes: some Collection<UInt8>) { buffer.append(contentsOf: bytes) }

    public mutating func next() throws(SIPParseError) -> Frame? {
        if buffer.count >= 2, buffer[0] == 0x0D, buffer[1] == 0x0A {
            if buffer.count >= 4, buffer[2] == 0x0D, buffer[3] == 0x0A {
                buffer.removeFirst(4)
                return .ping
            }
            if buffer.count == 2 || buffer[2] != 0x0D {
                buffer.removeFirst(2)
                return .pong
            }
            return nil // "\r\n\r" — wait for the last byte
        }
        guard let headEnd = findHeaderEnd() else {
            if buffer.count > limits.maxMessageSize {
                throw SIPParseError(.tooLarge, "no end of headers within \(limits.maxMessageSize) bytes", offset: limits.maxMessageSize)
            }
            return nil
        }
        let headBytes = Array(buffer[0..<headEnd])
        var head: ParsedHead
        do throws(SIPParseError) {
            head = try headBytes.withUnsafeBufferPointer { (b) throws(SIPParseError) -> ParsedHead in
                try SIPMessageParser.parseHead(b, storage: headBytes, limits: limits, requireEnd: true)
            }
        } catch {
            // The message is malformed; it can be skipped only if its length is known.
            guard error.code != .badContentLength, let partial = error.partialHeaders,
                  partial.count(of: .contentLength) == 1,
                  let cl = Int(partial[.contentLength]!.trimmingWhitespace), cl >= 0, cl <= limits.maxMessageSize else {
                throw error
            }
            guard buffer.count >= headEnd + cl else { return nil }
            buffer.removeFirst(headEnd + cl)
            return .invalid(error)
        }
        guard let cl = head.contentLength else {
            throw SIPParseError(.badContentLength, "message on a stream has no Content-Length", offset: headEnd,
                                isRequest: head.message.isRequest, partialHeaders: head.message.headers)
        }
        guard headEnd + cl <= limits.maxMessageSize else {
            throw SIPParseError(.tooLarge, "message of \(headEnd + cl) bytes exceeds the limit of \(limits.maxMessageSize)", offset: headEnd)
        }
        guard buffer.count >= headEnd + cl else { return nil }
        if cl > 0 { head.message.body = Array(buffer[headEnd..<(headEnd + cl)]) }
        buffer.removeFirst(headEnd + cl)
        return .message(head.message)
    }

    /// Offset just past the first CRLFCRLF, if present.
    private func findHeaderEnd() -> Int? {
        buffer.withUnsafeBufferPointer { b -> Int? in
            guard b.count >= 4, let base = b.baseAddress else { return nil }
            var from = 0
            while from + 4 <= b.count, let hit = memchr(base + from, 0x0A, b.count - from) {
                let i = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                // i is an LF; the end is "\r\n\r\n" with this LF second.
                if i >= 1, i + 2 < b.count, b[i - 1] == 0x0D, b[i + 1] == 0x0D, b[i + 2] == 0x0A { return i + 3 }
                from = i + 1
            }
            return nil
        }
    }
}
