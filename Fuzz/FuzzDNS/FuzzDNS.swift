// libFuzzer target: a DNS answer off the wire (SRV, A, AAAA, NAPTR,
// compression pointers, truncation), as the resolver reads it. Built by
// scripts/fuzz.sh.
import SIPCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDNS(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    _ = try? DNSMessage.parse(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
