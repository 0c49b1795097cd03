import Testing
@testable import SIPCore

/// RFC 3891 Replaces: parsing, and which calls it may name.
@Suite struct ReplacesHeaderTests {
    @Test func parsesAndMatchesConfirmedCallsOnly() throws {
        #expect(Replaces("abc@host;to-tag=1;from-tag=2") == Replaces(callID: "abc@host", toTag: "1", fromTag: "2", earlyOnly: false))
        #expect(Replaces("abc;from-tag=2;to-tag=1;early-only")?.earlyOnly == true)
        #expect(Replaces("abc;to-tag=1") == nil && Replaces(";to-tag=1;from-tag=2") == nil)
        // A parameter that is only "=" (it crashed the parser: kv[0] of nothing) is skipped.
        #expect(Replaces("abc;=;to-tag=1;from-tag=2") == Replaces(callID: "abc", toTag: "1", fromTag: "2", earlyOnly: false))
        #expect(Replaces("abc;=") == nil)
        // A ringing incoming call may not be replaced; once established it may.
        var (m, _) = try CallMachineTests.start(CallMachineTests.request(.invite, cseq: 1, body: CallMachineTests.offer))
        let r = try #require(Replaces("call-77;to-tag=\(m.dialog.localTag);from-tag=ss1"))
        #expect(!r.matches(m))
        _ = m.handle(.answer)
        _ = m.handle(.request(CallMachineTests.request(.ack, cseq: 1, toTag: m.dialog.localTag, branch: "z9hG4bK-a")))
        #expect(m.state == .established && r.matches(m))
        #expect(!Replaces("call-77;to-tag=\(m.dialog.localTag);from-tag=ss1;early-only")!.matches(m))
        #expect(!Replaces("call-77;to-tag=x;from-tag=ss1")!.matches(m))
    }
}
