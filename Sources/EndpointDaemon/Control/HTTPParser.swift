import FoundationEssentials
import SIPCore

/// Why a request could not be read, with the status to answer.
struct HTTPParseError: Error, Sendable, Equatable {
    var status: Int
    var reason: String
}

/// Limits on what a client may send.
struct HTTPLimits: Sendable {
    var maxHeaderBytes = 16 * 1024
    var maxHeaders = 64
    var maxBodyBytes = 64 * 1024
}

/// A strict HTTP/1.1 request parser over a byte buffer: CRLF line ends only,
/// no obs-fold, token method and header names, one Content-Length (no
/// chunked bodies: 501), Host required for 1.1. `next` returns nil until a
/// whole request is buffered.
struct HTTPParser: Sendable {
    let limits: HTTPLimits
    private(set) var buffer: [UInt8] = []

    init(limits: HTTPLimits = HTTPLimits()) { self.limits = limits }

    mutating func append(_ bytes: some Collection<UInt8>) { buffer.append(contentsOf: bytes) }
    var hasPartialRequest: Bool { !buffer.isEmpty }

    mutating func next() throws(HTTPParseError) -> HTTPRequest? {
        // Lines end in CRLF only: a bare LF in the header section is an error at once.
        let scanEnd = headerEnd() ?? buffer.count
        for i in 0..<scanEnd where buffer[i] == 0x0A && (i == 0 || buffer[i - 1] != 0x0D) {
            throw HTTPParseError(status: 400, reason: "bare LF in the header section")
        }
        guard let end = headerEnd() else {
            if buffer.count > limits.maxHeaderBytes { throw HTTPParseError(status: 431, reason: "header section larger than \(limits.maxHeaderBytes) bytes") }
            return nil
        }
        if end > limits.maxHeaderBytes { throw HTTPParseError(status: 431, reason: "header section larger than \(limits.maxHeaderBytes) bytes") }
        let head = buffer[0..<(end - 4)]
        guard head.allSatisfy({ $0 != 0 }), let text = String(validating: Array(head), as: UTF8.self) else {
            throw HTTPParseError(status: 400, reason: "header section is not valid UTF-8 text")
        }
        var lines = text.components(separatedBy: "\r\n")
        if lines.contains(where: { $0.contains("\n") || $0.contains("\r") }) { throw HTTPParseError(status: 400, reason: "bare CR or LF") }
        let requestLine = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: false)
        guard requestLine.count == 3 else { throw HTTPParseError(status: 400, reason: "malformed request line") }
        let method = String(requestLine[0]), target = String(requestLine[1]), version = String(requestLine[2])
        guard !method.isEmpty, method.utf8.allSatisfy(Self.isToken) else { throw HTTPParseError(status: 400, reason: "bad method") }
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            throw HTTPParseError(status: version.hasPrefix("HTTP/") ? 505 : 400, reason: "unsupported version \(version)")
        }
        guard target.hasPrefix("/"), target.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw HTTPParseError(status: 400, reason: "bad request target") }
        guard lines.count <= limits.maxHeaders else { throw HTTPParseError(status: 431, reason: "more than \(limits.maxHeaders) header fields") }
        var headers: [(String, String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":"), colon > line.startIndex else { throw HTTPParseError(status: 400, reason: "malformed header line") }
            let name = String(line[..<colon])
            guard name.utf8.allSatisfy(Self.isToken) else { throw HTTPParseError(status: 400, reason: "bad header name (or obs-fold)") }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: " \t")
            headers.append((name.lowercased(), value))
        }
        if version == "HTTP/1.1", !headers.contains(where: { $0.0 == "host" }) { throw HTTPParseError(status: 400, reason: "Host header missing") }
        if headers.contains(where: { $0.0 == "transfer-encoding" }) { throw HTTPParseError(status: 501, reason: "Transfer-Encoding is not supported; send Content-Length") }
        let lengths = Set(headers.filter { $0.0 == "content-length" }.map(\.1))
        guard lengths.count <= 1 else { throw HTTPParseError(status: 400, reason: "conflicting Content-Length") }
        var length = 0
        if let l = lengths.first {
            guard !l.isEmpty, l.utf8.count <= 9, l.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(l) else {
                throw HTTPParseError(status: 400, reason: "bad Content-Length")
            }
            length = n
        }
        guard length <= limits.maxBodyBytes else { throw HTTPParseError(status: 413, reason: "body larger than \(limits.maxBodyBytes) bytes") }
        guard buffer.count >= end + length else { return nil }
        let body = Array(buffer[end..<(end + length)])
        buffer.removeFirst(end + length)
        let (path, query) = Self.split(target)
        return HTTPRequest(method: method, path: path, query: query, version: version, headers: headers, body: body)
    }

    private func headerEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 3..<buffer.count where buffer[i] == 0x0A && buffer[i - 1] == 0x0D && buffer[i - 2] == 0x0A && buffer[i - 3] == 0x0D {
            return i + 1
        }
        return nil
    }

    static func isToken(_ c: UInt8) -> Bool {
        if (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A) { return true }
        return "!#$%&'*+-.^_`|~".utf8.contains(c)
    }

    static func split(_ target: String) -> (String, [String: String]) {
        guard let q = target.firstIndex(of: "?") else { return (target, [:]) }
        var query: [String: String] = [:]
        for pair in target[target.index(after: q)...].split(separator: "&") {
            // "=" alone splits into nothing when empty pieces are dropped (found
            // by fuzzing: `?=` crashed the daemon); a pair without a key is skipped.
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let first = kv.first, !first.isEmpty else { continue }
            let key = PercentEncoding.decode(ArraySlice(first.utf8)) ?? String(first)
            let value = kv.count > 1 ? (PercentEncoding.decode(ArraySlice(String(kv[1]).replacing("+", with: " ").utf8)) ?? String(kv[1])) : ""
            query[key] = value
        }
        return (String(target[..<q]), query)
    }
}
