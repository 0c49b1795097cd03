/// Limits that keep a hostile body from costing more than a legitimate one.
public struct SDPLimits: Sendable {
    public var maxBytes = 16_384
    public var maxLines = 512
    public var maxMedia = 16
    public var maxFormats = 64
    public var maxAttributesPerSection = 128
    public init() {}
}

extension SessionDescription {
    /// Parses an SDP body (RFC 8866 §5). Lines end in CRLF or LF; blank lines
    /// are skipped. Lines are checked for syntax and for the mandatory
    /// v=/o=/s= order; values we do not interpret are kept as written.
    public init(parsing text: String, limits: SDPLimits = SDPLimits()) throws(SDPError) {
        guard text.utf8.count <= limits.maxBytes else {
            throw SDPError(.tooLarge, "body of \(text.utf8.count) bytes exceeds \(limits.maxBytes)")
        }
        var origin: Origin?
        var sessionName: String?
        var sawVersion = false
        var session = SessionDescription(origin: Origin(sessionID: 0, sessionVersion: 0, address: SDPAddress(.ipv4, "0.0.0.0")))
        var current: MediaDescription?
        var lineNumber = 0
        var media: [MediaDescription] = []

        // Split on bytes: "\r\n" is a single Character in Swift strings.
        for raw in text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            guard lineNumber <= limits.maxLines else { throw SDPError(.tooLarge, "more than \(limits.maxLines) lines", line: lineNumber) }
            let bytes = raw.last == 0x0D ? raw.dropLast() : raw[...]
            if bytes.isEmpty { continue }
            let line = Substring(bytes)
            guard bytes.count >= 2, let type = bytes.first, type >= UInt8(ascii: "a"), type <= UInt8(ascii: "z"),
                  bytes[bytes.index(after: bytes.startIndex)] == UInt8(ascii: "=") else {
                throw SDPError(.syntax, "line is not '<letter>=<value>'", line: lineNumber)
            }
            let value = String(line.dropFirst(2))
            guard !value.utf8.contains(0) else { throw SDPError(.syntax, "NUL in line", line: lineNumber) }
            let letter = Character(UnicodeScalar(type))
            if !sawVersion {
                guard letter == "v", value == "0" else { throw SDPError(.syntax, "the first line must be v=0", line: lineNumber) }
                sawVersion = true
                continue
            }
            switch letter {
            case "v":
                throw SDPError(.syntax, "a second v= line", line: lineNumber)
            case "o":
                guard origin == nil, current == nil else { throw SDPError(.syntax, "o= must appear once, at session level", line: lineNumber) }
                origin = try Self.parseOrigin(value, line: lineNumber)
            case "s":
                guard sessionName == nil, current == nil else { throw SDPError(.syntax, "s= must appear once, at session level", line: lineNumber) }
                sessionName = value.isEmpty ? "-" : value
            case "c":
                let c = try Self.parseAddress(value, line: lineNumber)
                if current != nil { current!.connection = c } else { session.connection = c }
            case "b":
                if current != nil { current!.bandwidths.append(value) } else { session.bandwidths.append(value) }
            case "t":
                let f = value.split(separator: " ")
                guard f.count == 2, let start = UInt64(f[0]), let stop = UInt64(f[1]) else {
                    throw SDPError(.badValue, "t= needs two numbers", line: lineNumber)
                }
                session.timing = (start, stop)
            case "a":
                guard !value.isEmpty else { throw SDPError(.syntax, "empty attribute", line: lineNumber) }
                let colon = value.firstIndex(of: ":")
                let attr = SDPAttribute(colon.map { String(value[..<$0]) } ?? value, colon.map { String(value[value.index(after: $0)...]) })
                if current != nil {
                    guard current!.attributes.count < limits.maxAttributesPerSection else {
                        throw SDPError(.tooLarge, "more than \(limits.maxAttributesPerSection) attributes in a media section", line: lineNumber)
                    }
                    current!.attributes.append(attr)
                } else {
                    guard session.attributes.count < limits.maxAttributesPerSection else {
                        throw SDPError(.tooLarge, "more than \(limits.maxAttributesPerSection) session attributes", line: lineNumber)
                    }
                    session.attributes.append(attr)
                }
            case "m":
                guard origin != nil, sessionName != nil else { throw SDPError(.syntax, "m= before o= and s=", line: lineNumber) }
                if let m = current { media.append(m) }
                guard media.count < limits.maxMedia else { throw SDPError(.tooLarge, "more than \(limits.maxMedia) media descriptions", line: lineNumber) }
                current = try Self.parseMedia(value, limits: limits, line: lineNumber)
            default:
                if current != nil { current!.otherLines.append("\(letter)=\(value)") } else { session.otherLines.append("\(letter)=\(value)") }
            }
        }
        if let m = current { media.append(m) }
        guard sawVersion else { throw SDPError(.syntax, "empty session description") }
        guard let origin else { throw SDPError(.syntax, "no o= line") }
        guard let sessionName else { throw SDPError(.syntax, "no s= line") }
        session.origin = origin
        session.sessionName = sessionName
        // RFC 8866 order puts i=/u=/e=/p= before c= and the rest after t=
        // (and a media section's i= before its c=): group them so, keeping
        // their order, so that what we write reads back the same.
        session.otherLines = Self.grouped(session.otherLines, first: "iuep")
        for i in media.indices { media[i].otherLines = Self.grouped(media[i].otherLines, first: "i") }
        session.media = media
        self = session
    }

    static func grouped(_ lines: [String], first letters: String) -> [String] {
        lines.filter { letters.contains($0.first ?? " ") } + lines.filter { !letters.contains($0.first ?? " ") }
    }

    static func parseOrigin(_ v: String, line: Int) throws(SDPError) -> Origin {
        let f = v.split(separator: " ", omittingEmptySubsequences: true)
        guard f.count == 6 else { throw SDPError(.badValue, "o= needs 6 fields", line: line) }
        guard let id = UInt64(f[1]), let version = UInt64(f[2]) else {
            throw SDPError(.badValue, "o= session id and version must be numbers", line: line)
        }
        let address = try parseAddress(f[3...].joined(separator: " "), line: line)
        return Origin(username: String(f[0]), sessionID: id, sessionVersion: version, address: address)
    }

    static func parseAddress(_ v: String, line: Int) throws(SDPError) -> SDPAddress {
        let f = v.split(separator: " ", omittingEmptySubsequences: true)
        guard f.count == 3, f[0] == "IN" else { throw SDPError(.badValue, "address must be 'IN IP4|IP6 <address>'", line: line) }
        guard let family = SDPAddress.Family(rawValue: String(f[1])) else { throw SDPError(.badValue, "address type must be IP4 or IP6", line: line) }
        let a = f[2]
        guard !a.isEmpty, a.utf8.count <= 255, a.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw SDPError(.badValue, "bad connection address", line: line)
        }
        return SDPAddress(family, String(a))
    }

    static func parseMedia(_ v: String, limits: SDPLimits, line: Int) throws(SDPError) -> MediaDescription {
        let f = v.split(separator: " ", omittingEmptySubsequences: true)
        guard f.count >= 4 else { throw SDPError(.badValue, "m= needs media, port, proto and at least one format", line: line) }
        guard f.count - 3 <= limits.maxFormats else { throw SDPError(.tooLarge, "more than \(limits.maxFormats) formats", line: line) }
        let portField = f[1].split(separator: "/", omittingEmptySubsequences: false)
        guard portField.count <= 2, let port = UInt16(portField[0]) else { throw SDPError(.badValue, "m= port is not a port number", line: line) }
        var count: Int?
        if portField.count == 2 {
            guard let c = Int(portField[1]), c >= 1, c <= 64 else { throw SDPError(.badValue, "m= port count is not a small number", line: line) }
            count = c
        }
        return MediaDescription(media: String(f[0]), port: port, portCount: count, proto: String(f[2]), formats: f[3...].map(String.init))
    }
}
