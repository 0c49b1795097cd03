#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The ITU-T G.107 E-model, reduced to what an endpoint measures: codec
/// impairment (G.113 Ie and packet-loss robustness Bpl), random packet
/// loss, and one-way delay. Everything else stays at the G.107 default
/// values, which give R0 − Is = 93.2 (MOS 4.41 for G.711 on a perfect
/// network). Echo terms (Idte, Idle) are left at their defaults' negligible
/// contribution: an agent's headset has no acoustic echo path worth rating.
public struct EModel: Sendable, Hashable {
    /// Equipment impairment factor and packet-loss robustness of a codec.
    public struct CodecImpairment: Sendable, Hashable {
        public var ie: Double
        public var bpl: Double
        public init(ie: Double, bpl: Double) { self.ie = ie; self.bpl = bpl }

        /// G.711 with Appendix I concealment (G.113 Appendix I: Ie 0, Bpl 25.1).
        public static let g711PLC = CodecImpairment(ie: 0, bpl: 25.1)
        /// G.711 without concealment (Bpl 4.3).
        public static let g711 = CodecImpairment(ie: 0, bpl: 4.3)
        /// Opus in a narrowband-equivalent rating: transparent at voice
        /// bitrates, with decoder PLC and in-band FEC making it at least as
        /// loss-robust as concealed G.711 (chosen; G.113 lists no Opus value).
        public static let opus = CodecImpairment(ie: 0, bpl: 30)
    }

    /// The G.107 default basic signal-to-noise ratio minus simultaneous impairments.
    public static let defaultR0MinusIs = 93.2

    /// Transmission rating factor R (0…100).
    public static func rating(codec: CodecImpairment, lossPercent: Double, burstRatio: Double = 1, oneWayDelayMs: Double) -> Double {
        let ppl = max(0, min(100, lossPercent))
        let ieEff = codec.ie + (95 - codec.ie) * ppl / (ppl / max(burstRatio, 1) + codec.bpl)
        let r = defaultR0MinusIs - delayImpairment(oneWayDelayMs) - ieEff
        return max(0, min(100, r))
    }

    /// G.107 Idd: no impairment up to 100 ms of absolute one-way delay.
    public static func delayImpairment(_ ta: Double) -> Double {
        guard ta > 100 else { return 0 }
        let x = log2(ta / 100)
        return 25 * (pow(1 + pow(x, 6), 1.0 / 6) - 3 * pow(1 + pow(x / 3, 6), 1.0 / 6) + 2)
    }

    /// G.107 Annex B: R to the estimated mean opinion score (1…4.5).
    public static func mos(rating r: Double) -> Double {
        if r <= 0 { return 1 }
        if r >= 100 { return 4.5 }
        return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6
    }

    public static func mos(codec: CodecImpairment, lossPercent: Double, oneWayDelayMs: Double) -> Double {
        mos(rating: rating(codec: codec, lossPercent: lossPercent, oneWayDelayMs: oneWayDelayMs))
    }

}
