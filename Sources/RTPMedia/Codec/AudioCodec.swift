/// A voice codec as the media stream drives it, one frame at a time, on
/// caller-owned buffers (nothing allocated per frame).
public protocol AudioCodec: AnyObject {
    /// Samples per second of the PCM it takes and gives (not the RTP clock).
    var sampleRate: Int { get }
    /// RTP timestamp ticks per sample (Opus: 48 kHz clock).
    var rtpClockRate: Int { get }
    /// Encodes one frame; returns the payload length.
    func encode(_ pcm: UnsafeBufferPointer<Int16>, into payload: UnsafeMutableRawBufferPointer) throws(MediaError) -> Int
    /// Decodes one payload into `pcm`; returns the sample count.
    func decode(_ payload: UnsafeRawBufferPointer, into pcm: UnsafeMutableBufferPointer<Int16>) throws(MediaError) -> Int
    /// Fills one lost frame (`pcm.count` samples).
    func conceal(into pcm: UnsafeMutableBufferPointer<Int16>)
    /// Recovers the lost frame before `next` from its in-band FEC, if the codec can; else conceals.
    func recover(from next: UnsafeRawBufferPointer, into pcm: UnsafeMutableBufferPointer<Int16>)
}

/// G.711 with Appendix-I style concealment.
public final class G711Codec: AudioCodec {
    public let law: G711.Law
    private var concealer = PitchConcealer(sampleRate: 8000)
    public var sampleRate: Int { 8000 }
    public var rtpClockRate: Int { 8000 }

    /// The next frame, decoded to bridge a loss from both sides.
    private let ahead = UnsafeMutableBufferPointer<Int16>.allocate(capacity: 480)

    public init(law: G711.Law) {
        self.law = law
        ahead.initialize(repeating: 0)
    }

    deinit { ahead.deallocate() }

    public func encode(_ pcm: UnsafeBufferPointer<Int16>, into payload: UnsafeMutableRawBufferPointer) -> Int {
        G711.encode(law, pcm, into: payload)
    }

    public func decode(_ payload: UnsafeRawBufferPointer, into pcm: UnsafeMutableBufferPointer<Int16>) -> Int {
        let n = G711.decode(law, payload, into: pcm)
        concealer.good(UnsafeMutableBufferPointer(rebasing: pcm[0..<n]))
        return n
    }

    public func conceal(into pcm: UnsafeMutableBufferPointer<Int16>) { concealer.conceal(pcm) }
    public func recover(from next: UnsafeRawBufferPointer, into pcm: UnsafeMutableBufferPointer<Int16>) {
        guard next.count <= ahead.count else { return conceal(into: pcm) }
        let n = G711.decode(law, next, into: ahead)
        concealer.interpolate(pcm, next: UnsafeBufferPointer(rebasing: ahead[0..<n]))
    }
}
