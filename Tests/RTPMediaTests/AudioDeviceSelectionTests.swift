import Testing
@testable import RTPMedia

/// Which ALSA devices the Genesys device options choose, from what ALSA lists.
@Suite struct AudioDeviceSelectionTests {
    static let present = [
        AudioDeviceEntry(name: "default", description: "Default ALSA Output"),
        AudioDeviceEntry(name: "null", description: "Discard all samples"),
        AudioDeviceEntry(name: "sysdefault:CARD=PCH", description: "HDA Intel PCH, ALC3246 Analog"),
        AudioDeviceEntry(name: "plughw:CARD=Headset,DEV=0", description: "Plantronics Blackwire 5220 Series, USB Audio"),
        AudioDeviceEntry(name: "mic_only", description: "Desk microphone", capture: true, playback: false),
    ]

    @Test func exactNamesRegexesAndAny() {
        let s = AudioDeviceSettings(capture: ["plantronics|jabra", "*"], playback: ["plughw:CARD=Headset,DEV=0", "hda.*analog"])
        #expect(s.candidates(.capture, present: Self.present) == ["plughw:CARD=Headset,DEV=0", "default", "sysdefault:CARD=PCH"])
        #expect(s.candidates(.playback, present: Self.present) == ["plughw:CARD=Headset,DEV=0", "sysdefault:CARD=PCH"])
    }

    @Test func directionAndUnlistedNames() {
        let s = AudioDeviceSettings(capture: ["Desk"], playback: ["Desk", "agent_out"])
        #expect(s.candidates(.capture, present: Self.present) == ["mic_only"])
        // Not listed for playback: the pattern is tried as a name (a PCM defined without a hint).
        #expect(s.candidates(.playback, present: Self.present) == ["Desk", "agent_out"])
        // The headset unplugged: its pattern falls through to the next entry.
        let gone = Self.present.filter { !$0.name.hasPrefix("plughw") }
        #expect(AudioDeviceSettings(capture: ["Blackwire", "*"]).candidates(.capture, present: gone) == ["Blackwire", "default", "sysdefault:CARD=PCH"])
    }

    @Test func invalidRegexIsNotOne() {
        #expect(AudioDeviceSettings.regex("Headset (USB") == nil)
        #expect(AudioDeviceSettings.regex("Headset \\(USB\\)") != nil)
    }
}
