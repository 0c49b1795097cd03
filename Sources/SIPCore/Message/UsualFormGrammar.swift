/// One-pass readings of the forms nearly every Via, From, To and Contact
/// takes, over a buffer pointer with no scanner, closure or String:
/// `SIP/2.0/UDP host:port;params` and `["display"] <sip:URI>;params`.
///
/// Each returns the ranges the typed value is made from, or nil for
/// anything else — another form or a fault — which the full parse
/// (`HeaderScanner`) then reads and, if it must, names the fault of. So
/// they may only accept what the full parse accepts, with the same parts;
/// `UsualFormGrammarTests` checks that on mutations of real values.
enum UsualFormGrammar {
    /// `*(SEMI generic-param)` from `i` to the end of `p`: whether any was
    /// there, or nil when the rest is not that.
    static func parametersToEnd(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> Bool? {
        var wanted: Range<Int>??
        return parametersToEnd(p, &i, want: nil, &wanted)
    }

    /// The same, noting on the way where the value of the first parameter
    /// named `key` (lower-case letters) is (`.some(nil)` when there is none, or it is a flag):
    /// the keys read a branch or a tag in the same pass as the check.
    @inline(__always)
    static func parametersToEnd(_ p: UnsafeBufferPointer<UInt8>, _ at: inout Int, want key: GenericParameterGrammar.Wanted?, _ wanted: inout Range<Int>??) -> Bool? {
        // A local index: through `inout` it would be stored on every byte.
        var i = at
        defer { at = i }
        var found = false
        var seen = false
        if key != nil { wanted = .some(nil) }
        while true {
            switch GenericParameterGrammar.next(p, &i) {
            case .parameter(let name, let value):
                found = true
                if let key, !seen, key.matches(p, name) {
                    seen = true
                    wanted = .some(value)
                }
            case .end: return i == p.count ? found : nil
            case .failure: return nil
            }
        }
    }

    struct NameAddress {
        /// Inside the quotes of a display name without quoted-pairs.
        var display: Range<Int>?
        /// Between `<` and `>`: a URI `URIParser.isPlainSIP` accepts.
        var uri: Range<Int>
        /// From just past `>` to the end, when it holds any parameter.
        var parameters: Range<Int>?
        /// The wanted parameter's value, when one was asked for (nil: not looked for).
        var wanted: Range<Int>?? = nil
    }

    static func nameAddress(_ p: UnsafeBufferPointer<UInt8>, want key: GenericParameterGrammar.Wanted? = nil) -> NameAddress? {
        var i = 0
        GenericParameterGrammar.skipLWS(p, &i)
        var display: Range<Int>?
        if i < p.count, p[i] == UInt8(ascii: "\"") {
            let open = i
            var escaped = false
            guard GenericParameterGrammar.skipQuoted(p, &i, escaped: &escaped) == nil, !escaped else { return nil }
            display = (open + 1)..<(i - 1)
            GenericParameterGrammar.skipLWS(p, &i)
        }
        guard i < p.count, p[i] == UInt8(ascii: "<") else { return nil }
        let uriStart = i + 1
        guard let uriEnd = URIParser.plainSIPEnd(p, from: uriStart), uriEnd < p.count, p[uriEnd] == UInt8(ascii: ">") else { return nil }
        let uri = uriStart..<uriEnd
        i = uriEnd + 1
        let paramsStart = i
        var wanted: Range<Int>??
        guard let found = parametersToEnd(p, &i, want: key, &wanted) else { return nil }
        return NameAddress(display: display, uri: uri, parameters: found ? paramsStart..<i : nil, wanted: wanted)
    }

    struct Via {
        var transport: Range<Int>
        var host: Range<Int>
        var port: UInt16?
        /// From just past the sent-by to the end, when it holds any parameter.
        var parameters: Range<Int>?
        /// The wanted parameter's value, when one was asked for (nil: not looked for).
        var wanted: Range<Int>?? = nil
    }

    /// `SIP/2.0/transport SP host [":" port] *(;param)`, the host a name or
    /// IPv4 address.
    static func via(_ p: UnsafeBufferPointer<UInt8>, want key: GenericParameterGrammar.Wanted? = nil) -> Via? {
        var i = 0
        GenericParameterGrammar.skipLWS(p, &i)
        // `SIP/2.0/` as one word, its three letters case-folded.
        guard p.count - i > 9, let base = p.baseAddress, CharClass.spellsFolded(UnsafeRawPointer(base + i), 8, "sip/2.0/") else { return nil }
        i += 8
        let transportStart = i
        i = CharClass.shortRunEnd(p, from: i, CharClass.tokenBit)
        guard i > transportStart, i < p.count, p[i] == 0x20 || p[i] == 0x09 else { return nil }
        let transport = transportStart..<i
        GenericParameterGrammar.skipLWS(p, &i)
        let hostStart = i
        i = CharClass.shortRunEnd(p, from: i, CharClass.hostBit)
        guard i > hostStart else { return nil }
        let host = hostStart..<i
        var port: UInt16?
        if i < p.count, p[i] == UInt8(ascii: ":") {
            i += 1
            guard let n = CharClass.digits(p, &i, atMost: 5), n <= 65535 else { return nil }
            port = UInt16(n)
        }
        let paramsStart = i
        var wanted: Range<Int>??
        guard let found = parametersToEnd(p, &i, want: key, &wanted) else { return nil }
        return Via(transport: transport, host: host, port: port, parameters: found ? paramsStart..<i : nil, wanted: wanted)
    }

    /// `1*10DIGIT LWS method` (a number that fits 32 bits): the number and
    /// the method's range.
    static func cseq(_ p: UnsafeBufferPointer<UInt8>) -> (number: UInt32, method: Range<Int>)? {
        var i = 0
        GenericParameterGrammar.skipLWS(p, &i)
        guard let n = CharClass.digits(p, &i, atMost: 10), n <= UInt64(UInt32.max), i < p.count, p[i] == 0x20 || p[i] == 0x09 else { return nil }
        GenericParameterGrammar.skipLWS(p, &i)
        let methodStart = i
        i = CharClass.runEnd(p, from: i, CharClass.tokenBit)
        let method = methodStart..<i
        GenericParameterGrammar.skipLWS(p, &i)
        guard !method.isEmpty, i == p.count else { return nil }
        return (UInt32(n), method)
    }
}
