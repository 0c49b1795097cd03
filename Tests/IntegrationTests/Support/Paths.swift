import Foundation
import Synchronization

enum Paths {
    /// The package root (this file is Tests/IntegrationTests/Support/Paths.swift).
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The daemon binary: $SIPENDPOINTD_BIN, or the debug build.
    static var daemon: String {
        if let p = ProcessInfo.processInfo.environment["SIPENDPOINTD_BIN"], !p.isEmpty { return p }
        return root.appendingPathComponent(".build/debug/sipendpointd").path
    }

    static func tempDirectory(_ name: String) -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sipendpointd-it-\(getpid())-\(name)-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// Unique loopback addresses, so tests and their registrars never collide.
enum LoopbackAddresses {
    private static let counter = Mutex(0)
    static func next() -> String {
        let n = counter.withLock { v -> Int in v += 1; return v }
        return "127.77.\(getpid() % 200 + 1).\(n % 250 + 1)"
    }
}
