/// Which ALSA PCMs to use, in order of preference: Genesys
/// `audio_in_device` / `audio_out_device` (or `headset_name` for both when
/// `use_headset = 1`). Each entry is an exact ALSA name or a regular
/// expression matched, case-insensitively, against the names and
/// descriptions `snd_device_name_hint` lists; `*` is the ALSA default,
/// then any listed card. The first present wins.
public struct AudioDeviceSettings: Sendable, Hashable {
    public var capture: [String]
    public var playback: [String]
    /// The devices' period, 10 or 20 ms, or nil: 10 ms where the audio
    /// thread runs SCHED_FIFO, else 20. 10 ms halves the playback queue
    /// (10–20 ms instead of 20–40 ms of added delay) for twice the
    /// wake-ups, which only a thread that cannot be starved keeps up with;
    /// the codec frame stays 20 ms either way.
    public var periodMs: Int?
    /// The period the devices open with.
    public var effectivePeriodMs: Int { periodMs ?? (AudioThread.realtimePermitted ? 10 : 20) }
    public init(capture: [String] = ["*"], playback: [String] = ["*"], periodMs: Int? = nil) {
        self.capture = capture
        self.playback = playback
        self.periodMs = periodMs
    }

    /// The ALSA names to try for `direction`, best first, given what is
    /// `present`. A name not listed (a PCM defined without a hint, or
    /// `plughw:1`) is still tried where it stands: only opening tells.
    public func candidates(_ direction: ALSADevice.Direction, present: [AudioDeviceEntry]) -> [String] {
        let usable = present.filter { direction == .capture ? $0.capture : $0.playback }
        var out: [String] = []
        func add(_ n: String) { if !out.contains(n) { out.append(n) } }
        for pattern in direction == .capture ? capture : playback {
            if pattern == "*" {
                add("default")
                // Cards (hw, plughw, sysdefault...), not the plugins every system lists.
                for e in usable where e.name.contains(":") { add(e.name) }
            } else if usable.contains(where: { $0.name == pattern }) {
                add(pattern)
            } else if let re = Self.regex(pattern) {
                let hits = usable.filter { $0.name.contains(re) || $0.description.contains(re) }
                if hits.isEmpty { add(pattern) } else { hits.forEach { add($0.name) } }
            } else {
                add(pattern)
            }
        }
        return out
    }

    /// The pattern as a case-insensitive regular expression, or nil when it is not one.
    public static func regex(_ pattern: String) -> Regex<AnyRegexOutput>? {
        (try? Regex(pattern))?.ignoresCase()
    }
}
