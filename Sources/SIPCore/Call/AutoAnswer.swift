/// How SIP Server asks an endpoint to answer by itself (third-party call
/// control): `Call-Info: <...>;answer-after=N` (BroadSoft) or
/// `Alert-Info: <...>;info=alert-autoanswer[;delay=N]`. Returns the delay in
/// seconds, or nil when the INVITE does not ask for auto-answer.
public enum AutoAnswer {
    public static let callInfo = SIPHeaderName("Call-Info")
    public static let alertInfo = SIPHeaderName("Alert-Info")

    public static func delay(in request: SIPMessage) -> Double? {
        for value in request.headers.values(callInfo) {
            if let v = parameter("answer-after", in: value) { return Double(v).map { max(0, min($0, 3600)) } ?? 0 }
        }
        for value in request.headers.values(alertInfo) {
            let lower = value.lowercased()
            if lower.contains("info=alert-autoanswer") || lower.contains("info=autoanswer") {
                return parameter("delay", in: value).flatMap(Double.init).map { max(0, min($0, 3600)) } ?? 0
            }
        }
        return nil
    }

    /// A header parameter after the `>` of the URI.
    static func parameter(_ name: String, in value: String) -> String? {
        let tail = value.split(separator: ">", maxSplits: 1).last ?? Substring(value)
        for p in tail.split(separator: ";") {
            let kv = p.split(separator: "=", maxSplits: 1)
            if kv.count == 2, String(kv[0]).trimmingWhitespace.lowercased() == name { return String(String(kv[1]).trimmingWhitespace.filter { $0 != "\"" }) }
        }
        return nil
    }
}
