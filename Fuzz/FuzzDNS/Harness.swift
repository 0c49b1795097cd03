// libFuzzer target: a DNS answer off the wire (SRV, A, AAAA, NAPTR,
// compression pointers, truncation), as the resolver reads it. Built by
// scripts/fuzz.sh.
import SIPCore

func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    _ = try? DNSWire.parse(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
