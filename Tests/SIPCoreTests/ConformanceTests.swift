import Testing
import TortureCorpus
@testable import SIPCore

@Suite struct ConformanceParserTests {
    @Test func corpusIsComplete() throws {
        guard let dir = TortureCorpus.directory else {
            print("SKIP: ../shared/conformance/sip-torture is not beside the checkout")
            return
        }
        let listed = Set(TortureCorpus.cases.map(\.file))
        for sub in ["valid", "invalid", "variants"] {
            let files = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent(sub).path)
            for f in files where f.hasSuffix(".sip") {
                #expect(listed.contains("\(sub)/\(f)"), "corpus file \(sub)/\(f) has no expectation")
            }
        }
    }

    @Test(arguments: TortureCorpus.cases.map(\.file))
    func parserVerdictMatchesIndex(_ file: String) throws {
        guard TortureCorpus.directory != nil else { return }
        let c = TortureCorpus.cases.first { $0.file == file }!
        let bytes = try TortureCorpus.bytes(c)
        var accepted = false
        do {
            let m = try SIPMessage.parse(bytes)
            try m.validate()
            accepted = true
            // Well-formed messages round-trip through the serializer.
            #expect(try SIPMessage.parse(m.serialize()) == m, "\(file) does not round-trip")
        } catch {
            #expect(error.offset >= 0 && error.offset <= bytes.count, "\(file): offset \(error.offset)")
        }
        #expect(accepted == c.wellFormed, "\(file): parser said \(accepted ? "well-formed" : "malformed")")
        // And the UAS decision, without the network.
        let expected = c.udp
        let got: TortureCorpus.UDPOutcome
        do {
            let m = try SIPMessage.parse(bytes)
            if m.isRequest, let r = UASCore.respond(to: m, capabilities: UASCapabilities(), toTag: "t") {
                got = .respond(r.statusCode!)
            } else {
                got = .silentDrop
            }
        } catch {
            got = (error.isRequest && error.partialHeaders.map(SIPResponseBuilder.canRespond) == true) ? .respond(400) : .silentDrop
        }
        #expect(got == expected, "\(file)")
    }
}

import Foundation
