import Testing
@testable import EndpointDaemon

/// Found by fuzzing the config file: the "did you mean" suggestion for an
/// unknown key cost its length times every key name's, twice per name, so
/// a 3 KB key took seconds (and a file of them far longer).
@Suite struct ConfigSuggestionTests {
    @Test func longUnknownKeysGetNoSuggestionAndCostNothing() {
        let long = "sipendpoint.policy.device.audio_in_dev" + String(repeating: "\u{E1}", count: 3000)
        let start = ContinuousClock.now
        #expect(EditDistance.closest(to: long, in: ConfigSchema.keyNames) == nil)
        let (entries, _) = ConfigFile.parse((0..<50).map { "\(long)\($0) = 1\n" }.joined())
        guard case .failure(let errors) = ConfigSchema.load(entries) else { Issue.record("50 unknown keys accepted"); return }
        #expect(errors.errors.filter { $0.code == .unknownKey }.count == 50)
        #expect(ContinuousClock.now - start < .seconds(2))
        // Short typos still get their suggestion.
        #expect(EditDistance.closest(to: "sipendpoint.usr", in: ConfigSchema.keyNames) == "sipendpoint.user")
    }
}
