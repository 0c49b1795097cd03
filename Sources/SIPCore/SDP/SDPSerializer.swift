extension SessionDescription {
    /// The body as sent: RFC 8866 line order, CRLF line ends.
    public var serialized: String {
        var out = "v=0\r\n"
        let o = origin
        out += "o=\(o.username) \(o.sessionID) \(o.sessionVersion) \(o.address)\r\n"
        out += "s=\(sessionName)\r\n"
        for l in otherLines where "iuep".contains(l.first ?? " ") { out += l + "\r\n" }
        if let connection { out += "c=\(connection)\r\n" }
        for b in bandwidths { out += "b=\(b)\r\n" }
        out += "t=\(timing.start) \(timing.stop)\r\n"
        for l in otherLines where !"iuep".contains(l.first ?? " ") { out += l + "\r\n" }
        for a in attributes { out += "a=\(a)\r\n" }
        for m in media {
            out += "m=\(m.media) \(m.port)\(m.portCount.map { "/\($0)" } ?? "") \(m.proto) \(m.formats.joined(separator: " "))\r\n"
            for l in m.otherLines where l.first == "i" { out += l + "\r\n" }
            if let c = m.connection { out += "c=\(c)\r\n" }
            for b in m.bandwidths { out += "b=\(b)\r\n" }
            for l in m.otherLines where l.first != "i" { out += l + "\r\n" }
            for a in m.attributes { out += "a=\(a)\r\n" }
        }
        return out
    }
}
