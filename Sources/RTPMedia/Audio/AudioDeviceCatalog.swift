import CSIPALSA

/// One ALSA PCM as `snd_device_name_hint` lists it (what `aplay -L` and
/// `arecord -L` print): its name, description, and which way it works
/// (nil: both).
public struct AudioDeviceEntry: Sendable, Hashable {
    public var name: String
    public var description: String
    public var capture: Bool
    public var playback: Bool

    public init(name: String, description: String, capture: Bool = true, playback: Bool = true) {
        self.name = name
        self.description = description
        self.capture = capture
        self.playback = playback
    }
}

/// The PCMs present now. ALSA re-reads its configuration files when they
/// changed (mtime) and the card list comes from the kernel, so each call
/// sees what is plugged in at that moment.
public enum AudioDeviceCatalog {
    public static func current() -> [AudioDeviceEntry] {
        _ = ALSADevice.quiet
        var hints: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
        guard snd_device_name_hint(-1, "pcm", &hints) == 0, let list = hints else { return [] }
        defer { snd_device_name_free_hint(list) }
        var out: [AudioDeviceEntry] = []
        var i = 0
        // The list ends with a null entry; 4096 bounds a broken one.
        while i < 4096, let hint = list[i] {
            i += 1
            guard let name = take(snd_device_name_get_hint(hint, "NAME")) else { continue }
            let description = take(snd_device_name_get_hint(hint, "DESC")) ?? ""
            let ioid = take(snd_device_name_get_hint(hint, "IOID"))
            out.append(AudioDeviceEntry(name: name, description: description.split(separator: "\n").joined(separator: " "),
                                        capture: ioid == nil || ioid == "Input", playback: ioid == nil || ioid == "Output"))
        }
        return out
    }

    /// A string alsa-lib allocated, copied and freed.
    private static func take(_ p: UnsafeMutablePointer<CChar>?) -> String? {
        guard let p else { return nil }
        defer { free(p) }
        return String(cString: p)
    }
}
