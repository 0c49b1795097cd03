// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets (Fuzz/), only when scripts/fuzz.sh builds them: they
// need -sanitize=fuzzer and have no main of their own.
let fuzzTargets: [Target] = Context.environment["SIPENDPOINTD_FUZZ"] == nil ? [] : [
    .target(name: "CFuzzDriver", path: "Fuzz/CFuzzDriver"),
    .executableTarget(name: "FuzzSIP", dependencies: ["CFuzzDriver", "SIPCore"], path: "Fuzz/FuzzSIP"),
    .executableTarget(name: "FuzzSDP", dependencies: ["CFuzzDriver", "SIPCore"], path: "Fuzz/FuzzSDP"),
    .executableTarget(name: "FuzzSDES", dependencies: ["CFuzzDriver", "SIPCore"], path: "Fuzz/FuzzSDES"),
    .executableTarget(name: "FuzzDNS", dependencies: ["CFuzzDriver", "SIPCore"], path: "Fuzz/FuzzDNS"),
    .executableTarget(name: "FuzzRTP", dependencies: ["CFuzzDriver", "RTPMedia"], path: "Fuzz/FuzzRTP"),
    .executableTarget(name: "FuzzHTTP", dependencies: ["CFuzzDriver", "SIPCore"], path: "Fuzz/FuzzHTTP"),
    .executableTarget(name: "FuzzConfig", dependencies: ["CFuzzDriver", "SIPCore", "RTPMedia", .product(name: "Logging", package: "swift-log")],
                      path: "Fuzz/FuzzConfig"),
]

let package = Package(
    name: "sipendpointd",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "SIPCore", targets: ["SIPCore"]),
        .library(name: "RTPMedia", targets: ["RTPMedia"]),
        .executable(name: "sipendpointd", targets: ["EndpointDaemon"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // System OpenSSL 3 (libssl-dev): digest hashes now, the TLS transport later.
        .systemLibrary(
            name: "CSIPOpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        // libsystemd (libsystemd-dev): sd_notify and sd_journal_sendv.
        .systemLibrary(
            name: "CSIPSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        // libsrtp2 (libsrtp2-dev): SRTP/SRTCP with SDES keys.
        .systemLibrary(name: "CSIPSRTP", pkgConfig: "libsrtp2", providers: [.apt(["libsrtp2-dev"])]),
        // libopus (libopus-dev), with csip_ forms of the variadic opus_encoder_ctl.
        .systemLibrary(name: "CSIPOpus", pkgConfig: "opus", providers: [.apt(["libopus-dev"])]),
        // libasound2 (libasound2-dev): PCM capture and playback.
        .systemLibrary(name: "CSIPALSA", pkgConfig: "alsa", providers: [.apt(["libasound2-dev"])]),
        // libspeexdsp (libspeexdsp-dev): resampling between codec and device rates.
        .systemLibrary(name: "CSIPSpeexDSP", pkgConfig: "speexdsp", providers: [.apt(["libspeexdsp-dev"])]),
        // Function forms of OpenSSL macros; every function is prefixed csip_.
        .target(
            name: "CSIPShims",
            dependencies: ["CSIPOpenSSL"],
            linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]
        ),
        // Sockets, addresses, Dispatch read sources and injected randomness,
        // shared by the SIP layer and the media engine.
        .target(name: "NetSupport"),
        .target(
            name: "SIPCore",
            dependencies: [
                "NetSupport",
                "CSIPOpenSSL",
                "CSIPShims",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The media engine: RTP/RTCP, SRTP, codecs, jitter buffer, audio
        // devices, quality. It knows nothing of SIP.
        .target(
            name: "RTPMedia",
            dependencies: ["NetSupport", "CSIPSRTP", "CSIPOpus", "CSIPALSA", "CSIPSpeexDSP"]
        ),
        .executableTarget(
            name: "EndpointDaemon",
            dependencies: [
                "SIPCore",
                "RTPMedia",
                "CSIPSystemd",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "SIPParseBench",
            dependencies: ["SIPCore"],
            path: "Benchmarks/SIPParseBench"
        ),
        .executableTarget(
            name: "FleetLoad",
            dependencies: ["FleetModel", "SIPCore", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/FleetLoad"
        ),
        // The fleet model (endpoints with the real registration logic, modelled
        // registrars, a virtual clock): FleetSim runs it at scale, FleetTests in CI.
        .target(
            name: "FleetModel",
            dependencies: ["SIPCore"],
            path: "Benchmarks/FleetModel"
        ),
        .executableTarget(
            name: "FleetSim",
            dependencies: ["FleetModel", "SIPCore"],
            path: "Benchmarks/FleetSim"
        ),
        .executableTarget(
            name: "MediaBench",
            dependencies: ["RTPMedia"],
            path: "Benchmarks/MediaBench"
        ),
        // The RFC 4475/5118 corpus index shared by the unit and integration tests.
        .target(
            name: "TortureCorpus",
            path: "Tests/TortureCorpus"
        ),
        .testTarget(
            name: "SIPCoreTests",
            dependencies: ["SIPCore", "TortureCorpus"]
        ),
        .testTarget(
            name: "FleetTests",
            dependencies: ["FleetModel", "SIPCore"]
        ),
        .testTarget(
            name: "RTPMediaTests",
            dependencies: ["RTPMedia"]
        ),
        .testTarget(
            name: "EndpointDaemonTests",
            dependencies: ["EndpointDaemon", "SIPCore"]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["SIPCore", "TortureCorpus"]
        ),
    ] + fuzzTargets,
    swiftLanguageModes: [.v6]
)
