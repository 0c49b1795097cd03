import CSIPShims
import Foundation
import Testing
@testable import EndpointDaemon

/// csip_release_clean_file_pages in this test process: code and constants
/// are unmapped and come back when used, relocated data (written at load,
/// then made read-only) and writable data keep their contents.
@Suite(.serialized) struct ResidentSetTests {
    /// Resident kB of read-only, file-backed mappings, and how many mappings there are.
    static func readOnlyFilePages() -> (kb: Int, mappings: Int) {
        let text = Self.readProcFile("/proc/self/smaps")
        var kb = 0, mappings = 0, readOnlyFile = false
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let first = fields.first, first.contains("-"), fields.count >= 5, !first.hasSuffix(":") {
                mappings += 1
                readOnlyFile = fields[1].hasPrefix("r-") && fields.count >= 6 && fields[5].hasPrefix("/")
            } else if readOnlyFile, fields.first == "Rss:", fields.count >= 2 {
                kb += Int(fields[1]) ?? 0
            }
        }
        return (kb, mappings)
    }

    /// A /proc file read to its end (its size reads as 0, so not by length).
    static func readProcFile(_ path: String) -> String {
        guard let f = fopen(path, "re") else { return "" }
        defer { fclose(f) }
        var bytes: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 65536)
        for _ in 0..<10_000 {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, 65536, f) }
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Work that runs code of the runtime, Foundation and this module, reads
    /// constants and goes through witness tables and metadata (relocated data).
    static func work() -> String {
        let values: [any CustomStringConvertible] = [42, "sip:7001@example.com", 3.5, ConfigSchema.keyNames.count]
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let encoded = try? encoder.encode(["keys": ConfigSchema.keyNames.sorted().prefix(5).joined(separator: ","), "values": values.map(\.description).joined(separator: ";")])
        return encoded.map { String(decoding: $0, as: UTF8.self) } ?? "encode failed"
    }

    @Test func unmappedCodeComesBackAndRelocatedDataIsIntact() {
        var counter = 0
        let closure: () -> Int = { counter += 1; return counter }
        let expected = Self.work()
        let before = Self.readOnlyFilePages()
        let released = csip_release_clean_file_pages(ResidentSetTrimmer.granulePages)
        let after = Self.readOnlyFilePages()
        #expect(released > 0)
        // Dropped at once (other tests' threads bring some back meanwhile).
        #expect(after.kb < before.kb, "\(before.kb) kB → \(after.kb) kB")
        // Cut into small VMAs: fault-around no longer maps 64 KB around each page.
        #expect(after.mappings > before.mappings + 100, "\(before.mappings) → \(after.mappings) mappings")
        // Everything runs and reads as before.
        #expect(Self.work() == expected)
        #expect(closure() == 1 && closure() == 2)
        // Again (mappings already cut): idempotent.
        #expect(csip_release_clean_file_pages(ResidentSetTrimmer.granulePages) > 0)
        #expect(Self.work() == expected)
        #expect(Self.readOnlyFilePages().mappings < after.mappings + 100)
    }

    @Test func residentSizeIsReported() throws {
        let kb = try #require(ResidentSetTrimmer.residentKB())
        #expect(kb > 1000 && kb < 4_000_000)
    }
}

/// When the daemon trims: made-up times, no clock.
@Suite struct TrimScheduleTests {
    @Test func aBurstTrimsOnceAfterItsLastRequest() {
        var s = TrimSchedule()
        #expect(s.request(now: .seconds(0), delay: .seconds(5)) == .seconds(5))
        #expect(s.request(now: .seconds(1), delay: .seconds(3)) == nil)  // covered: 4 s < 5 s
        #expect(s.request(now: .seconds(2), delay: .seconds(5)) == .seconds(7))  // moved back to cover it
        s.done(now: .seconds(7))
        #expect(s.pending == nil && s.last == .seconds(7))
    }

    @Test func aSteadyStreamStillGetsItsTrims() {
        var s = TrimSchedule(minimumInterval: .seconds(30), maximumDeferral: .seconds(10))
        var fire: Duration?
        var fired: [Duration] = []
        // A desktop polling every second for 100 s.
        for t in 0..<100 {
            let now = Duration.seconds(t)
            if let f = fire, f <= now { s.done(now: f); fired.append(f); fire = nil }
            if let at = s.request(now: now, delay: .seconds(5)) { fire = at }
        }
        // Never postponed past 10 s by the stream, never closer than 30 s apart.
        #expect(fired.first.map { $0 <= .seconds(10) } == true, "\(fired)")
        #expect(fired.count >= 3, "\(fired)")
        #expect(zip(fired, fired.dropFirst()).allSatisfy { $1 - $0 >= .seconds(30) }, "\(fired)")
    }

    @Test func notSoonerThanTheMinimumIntervalAfterTheLast() {
        var s = TrimSchedule(minimumInterval: .seconds(30))
        _ = s.request(now: .seconds(0), delay: .seconds(5))
        s.done(now: .seconds(5))
        #expect(s.request(now: .seconds(8), delay: .seconds(3)) == .seconds(35))
        // A call's audio opening does not wait for the interval: the plan moves forward.
        #expect(s.request(now: .seconds(9), delay: .seconds(3), soon: true) == .seconds(12))
        s.done(now: .seconds(12))
        #expect(s.request(now: .seconds(20), delay: .seconds(3), soon: true) == .seconds(23))
    }
}
