/// DNS record types this resolver asks for (RFC 1035, 3596, 2782, 3403).
public enum DNSRecordType: UInt16, Sendable, Hashable {
    case a = 1, cname = 5, soa = 6, aaaa = 28, srv = 33, naptr = 35
}

/// One answer record, decoded.
public enum DNSRecord: Sendable, Hashable {
    case a(String)
    case aaaa(String)
    case cname(String)
    case srv(priority: UInt16, weight: UInt16, port: UInt16, target: String)
    case naptr(order: UInt16, preference: UInt16, flags: String, service: String, regexp: String, replacement: String)
}

public struct DNSAnswer: Sendable, Hashable {
    public var name: String
    public var type: UInt16
    public var ttl: UInt32
    public var record: DNSRecord?
}

/// A decoded response.
public struct DNSResponse: Sendable {
    public var id: UInt16
    public var truncated: Bool
    public var rcode: UInt8
    public var questionName: String
    public var questionType: UInt16
    public var answers: [DNSAnswer]
    /// Minimum TTL from an SOA in the authority section (negative caching, RFC 2308).
    public var negativeTTL: UInt32?
}

/// An error decoding a DNS message, with the byte offset.
public struct DNSError: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String
    public var offset: Int
    public var description: String { "\(reason) (at byte \(offset))" }
}

/// DNS wire format (RFC 1035 §4): query encoding and hostile-input-safe
/// response decoding (compression pointers may only point backwards and
/// are followed at most 32 times; every read is bounds-checked).
public enum DNSWire {
    public static func query(id: UInt16, name: String, type: DNSRecordType, recursionDesired: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        out.append(contentsOf: [UInt8(id >> 8), UInt8(id & 0xFF), recursionDesired ? 0x01 : 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 0])
        for label in name.split(separator: ".") where !label.isEmpty {
            let bytes = Array(label.utf8.prefix(63))
            out.append(UInt8(bytes.count))
            out.append(contentsOf: bytes)
        }
        out.append(0)
        out.append(contentsOf: [UInt8(type.rawValue >> 8), UInt8(type.rawValue & 0xFF), 0, 1])
        return out
    }

    public static func parse(_ b: [UInt8]) throws(DNSError) -> DNSResponse {
        var r = Reader(bytes: b)
        let id = try r.u16()
        let flags = try r.u16()
        guard flags & 0x8000 != 0 else { throw DNSError(reason: "not a response", offset: 2) }
        let qd = try r.u16(), an = try r.u16(), ns = try r.u16()
        _ = try r.u16()
        guard qd == 1 else { throw DNSError(reason: "expected one question, got \(qd)", offset: 4) }
        let qname = try r.name()
        let qtype = try r.u16()
        _ = try r.u16()
        var answers: [DNSAnswer] = []
        let truncated = flags & 0x0200 != 0
        var negativeTTL: UInt32?
        do throws(DNSError) {
            for _ in 0..<an { answers.append(try r.record()) }
            for _ in 0..<ns {
                let rr = try r.record()
                if rr.type == DNSRecordType.soa.rawValue { negativeTTL = rr.ttl }
            }
        } catch {
            // A truncated UDP answer may stop mid-record; TCP will be asked.
            if !truncated { throw error }
        }
        return DNSResponse(id: id, truncated: truncated, rcode: UInt8(flags & 0x000F), questionName: qname,
                           questionType: qtype, answers: answers, negativeTTL: negativeTTL)
    }

    struct Reader {
        let bytes: [UInt8]
        var pos = 0

        mutating func u8() throws(DNSError) -> UInt8 {
            guard pos < bytes.count else { throw DNSError(reason: "truncated message", offset: pos) }
            defer { pos += 1 }
            return bytes[pos]
        }

        mutating func u16() throws(DNSError) -> UInt16 { UInt16(try u8()) << 8 | UInt16(try u8()) }
        mutating func u32() throws(DNSError) -> UInt32 { UInt32(try u16()) << 16 | UInt32(try u16()) }

        mutating func name() throws(DNSError) -> String {
            var labels: [String] = []
            var p = pos
            var jumped = false
            var jumps = 0
            var total = 0
            while true {
                guard p < bytes.count else { throw DNSError(reason: "name runs past the end", offset: p) }
                let len = Int(bytes[p])
                if len & 0xC0 == 0xC0 {
                    guard p + 1 < bytes.count else { throw DNSError(reason: "truncated compression pointer", offset: p) }
                    let target = (len & 0x3F) << 8 | Int(bytes[p + 1])
                    // Pointers must go backwards: that alone rules out loops.
                    guard target < p, jumps < 32 else { throw DNSError(reason: "compression pointer loop", offset: p) }
                    if !jumped { pos = p + 2 }
                    jumped = true
                    jumps += 1
                    p = target
                    continue
                }
                guard len & 0xC0 == 0 else { throw DNSError(reason: "bad label type", offset: p) }
                if len == 0 {
                    if !jumped { pos = p + 1 }
                    break
                }
                guard p + 1 + len <= bytes.count else { throw DNSError(reason: "label runs past the end", offset: p) }
                total += len + 1
                guard total <= 255 else { throw DNSError(reason: "name longer than 255 bytes", offset: p) }
                labels.append(String(decoding: bytes[(p + 1)...(p + len)], as: UTF8.self))
                p += 1 + len
            }
            return labels.joined(separator: ".").lowercased()
        }

        mutating func characterString() throws(DNSError) -> String {
            let len = Int(try u8())
            guard pos + len <= bytes.count else { throw DNSError(reason: "string runs past the end", offset: pos) }
            defer { pos += len }
            return String(decoding: bytes[pos..<(pos + len)], as: UTF8.self)
        }

        mutating func record() throws(DNSError) -> DNSAnswer {
            let name = try self.name()
            let type = try u16()
            _ = try u16()
            let ttl = try u32()
            let rdlen = Int(try u16())
            let start = pos
            guard start + rdlen <= bytes.count else { throw DNSError(reason: "record data runs past the end", offset: start) }
            var record: DNSRecord?
            switch DNSRecordType(rawValue: type) {
            case .a:
                guard rdlen == 4 else { throw DNSError(reason: "A record of \(rdlen) bytes", offset: start) }
                record = .a(bytes[start..<(start + 4)].map(String.init).joined(separator: "."))
            case .aaaa:
                guard rdlen == 16 else { throw DNSError(reason: "AAAA record of \(rdlen) bytes", offset: start) }
                var groups: [String] = []
                for i in stride(from: start, to: start + 16, by: 2) { groups.append(String(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]), radix: 16)) }
                record = .aaaa(IPAddressText.canonicalIPv6(groups.joined(separator: ":")) ?? groups.joined(separator: ":"))
            case .cname:
                record = .cname(try self.name())
            case .srv:
                let pr = try u16(), w = try u16(), port = try u16()
                record = .srv(priority: pr, weight: w, port: port, target: try self.name())
            case .naptr:
                let order = try u16(), pref = try u16()
                let flags = try characterString(), service = try characterString(), regexp = try characterString()
                record = .naptr(order: order, preference: pref, flags: flags, service: service, regexp: regexp, replacement: try self.name())
            default:
                record = nil
            }
            guard pos <= start + rdlen else { throw DNSError(reason: "record data longer than its length", offset: start) }
            pos = start + rdlen
            return DNSAnswer(name: name, type: type, ttl: ttl, record: record)
        }
    }
}
