import Foundation

/// The RFC 4475 / RFC 5118 torture messages in `../shared/conformance/sip-torture`
/// (beside the checkout, never copied into the repo) and what this endpoint
/// does with each, following the corpus INDEX.md.
public enum TortureCorpus {
    /// What the daemon must do with a message received over UDP.
    public enum UDPOutcome: Sendable, Equatable {
        /// Answer with this status code.
        case respond(Int)
        /// Send nothing (responses outside a transaction, unparseable responses).
        case silentDrop
    }

    public struct Case: Sendable {
        public let file: String
        /// Whether the parser plus `validate()` accept it as well-formed.
        public let wellFormed: Bool
        public let udp: UDPOutcome
        /// Over TCP: true when the stream cannot be framed and the connection must close.
        public let closesStream: Bool
    }

    /// nil when the corpus is not beside the checkout.
    public static var directory: URL? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dir = root.deletingLastPathComponent().appendingPathComponent("shared/conformance/sip-torture")
        return FileManager.default.fileExists(atPath: dir.appendingPathComponent("INDEX.md").path) ? dir : nil
    }

    public static func bytes(_ c: Case) throws -> [UInt8] {
        guard let dir = directory else { throw CocoaError(.fileNoSuchFile) }
        return Array(try Data(contentsOf: dir.appendingPathComponent(c.file)))
    }

    private static func v(_ f: String, _ udp: UDPOutcome) -> Case { Case(file: "valid/\(f).sip", wellFormed: true, udp: udp, closesStream: false) }
    private static func i(_ f: String, _ udp: UDPOutcome, wellFormed: Bool = false, closes: Bool = false) -> Case {
        Case(file: "invalid/\(f).sip", wellFormed: wellFormed, udp: udp, closesStream: closes)
    }

    /// Every message in the corpus. A valid INVITE passes the §8.2 checks and
    /// reaches the call layer, which the tests' daemon has refuse every call
    /// with 480 (no audio device, and calls need one); REGISTER gets 405 (not
    /// a registrar).
    public static let cases: [Case] = [
        v("wsinv", .respond(480)), v("intmeth", .respond(501)), v("esc01", .respond(480)),
        v("escnull", .respond(405)), v("esc02", .respond(501)), v("lwsdisp", .respond(200)),
        v("longreq", .respond(480)), v("dblreq", .respond(405)), v("semiuri", .respond(200)),
        v("transports", .respond(200)), v("mpart01", .respond(405)), v("unreason", .silentDrop),
        v("noreason", .silentDrop), v("badbranch", .respond(200)), v("unkscm", .respond(416)),
        v("novelsc", .respond(416)), v("unksm2", .respond(405)), v("bext01", .respond(420)),
        v("invut", .respond(415)), v("regaut01", .respond(405)), v("bcast", .silentDrop),
        v("zeromf", .respond(200)), v("cparam01", .respond(405)), v("cparam02", .respond(405)),
        v("regescrt", .respond(405)), v("sdp01", .respond(406)), v("inv2543", .respond(480)),
        v("ipv6-good", .respond(405)), v("port-ambiguous", .respond(405)), v("port-unambiguous", .respond(405)),
        v("via-received-param-with-delim", .respond(481)), v("via-received-param-no-delim", .respond(200)),
        v("ipv6-in-sdp", .respond(480)), v("mult-ip-in-header", .respond(481)), v("mult-ip-in-sdp", .respond(480)),
        v("ipv4-mapped-ipv6", .respond(480)), v("ipv6-bug-abnf-3-colons", .respond(200)),
        v("ipv6-correct-abnf-2-colons", .respond(200)),

        i("badinv01", .respond(400)), i("clerr", .respond(400)), i("ncl", .respond(400), closes: true),
        i("scalar02", .respond(400)), i("scalarlg", .silentDrop), i("quotbal", .respond(400)),
        i("ltgtruri", .respond(400)), i("lwsruri", .respond(400)), i("lwsstart", .respond(400)),
        i("trws", .respond(400)), i("escruri", .respond(400)),
        // Date is not used by an endpoint, so its bad time zone is ignored (RFC 4475 §3.1.2.12).
        i("baddate", .respond(480), wellFormed: true),
        i("regbadct", .respond(400)), i("badaspec", .respond(400)),
        // The archive file has no empty line after the headers: still answered 400 over UDP.
        i("baddn", .respond(400)),
        // Parses (SIP/7.0 is syntactically a version); the UAS answers 505.
        i("badvers", .respond(505), wellFormed: true),
        i("mismatch01", .respond(400)), i("mismatch02", .respond(501)), i("bigcode", .silentDrop),
        i("insuf", .respond(400)), i("multi01", .respond(400)), i("mcl01", .respond(400), closes: true),
        i("ipv6-bad", .respond(400)),

        Case(file: "variants/baddn.terminated.sip", wellFormed: false, udp: .respond(400), closesStream: false),
        // Content-Length larger than the body: rejected over UDP.
        Case(file: "variants/ipv6-in-sdp.printed-cl.sip", wellFormed: false, udp: .respond(400), closesStream: false),
        // Content-Length shorter than the body: the body is cut, the INVITE still processed.
        Case(file: "variants/mult-ip-in-sdp.printed-cl.sip", wellFormed: true, udp: .respond(480), closesStream: false),
        Case(file: "variants/ipv4-mapped-ipv6.printed-cl.sip", wellFormed: true, udp: .respond(480), closesStream: false),
    ]
}
