/// How messages are matched to transactions (RFC 3261 §17.1.3, §17.2.3).
public enum TransactionKey: Hashable, Sendable {
    /// Branch with the magic cookie, sent-by, and method (ACK folded into
    /// INVITE so that the ACK for a non-2xx reaches the INVITE transaction).
    case branch(String, sentBy: String, method: SIPMethod)
    /// RFC 2543 fallback for requests without a compliant branch.
    case legacy(requestURI: String, fromTag: String, callID: String, cseq: UInt32, topVia: String, method: SIPMethod)

    private static func matchingMethod(_ m: SIPMethod) -> SIPMethod { m == .ack ? .invite : m }

    /// Key of the server transaction a request belongs to.
    public static func server(for request: SIPMessage) -> TransactionKey? {
        guard let line = request.requestLine, let via = request.topVia else { return nil }
        let method = matchingMethod(line.method)
        if via.hasRFC3261Branch, let branch = via.branch {
            return .branch(branch, sentBy: via.sentBy.lowercased(), method: method)
        }
        guard let callID = request.callID, let cseq = try? request.cseq else { return nil }
        return .legacy(requestURI: line.uri.description, fromTag: request.from?.tag ?? "",
                       callID: callID, cseq: cseq.number, topVia: via.description, method: method)
    }

    /// Key of the client transaction a response belongs to: our own branch
    /// and the CSeq method (sent-by is ours, so it is left out).
    public static func client(for response: SIPMessage) -> TransactionKey? {
        // The top Via and CSeq only: validating the whole response (its
        // keys) would cost more than the match, and a response with, say,
        // an odd Contact must not strand its transaction.
        guard let via = response.topVia, let branch = via.branch, let cseq = try? response.cseq else { return nil }
        return .branch(branch, sentBy: "", method: cseq.method)
    }

    /// Key under which a client transaction for `request` is stored.
    public static func client(forRequest request: SIPMessage) -> TransactionKey? {
        guard let via = request.topVia, let branch = via.branch, let line = request.requestLine else { return nil }
        return .branch(branch, sentBy: "", method: line.method)
    }
}
