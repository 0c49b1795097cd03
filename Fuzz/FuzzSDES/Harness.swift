// libFuzzer target: an RFC 4568 `a=crypto` value — refused with an error,
// or parsed into a line whose key is exactly the suite's length and which
// serializes and parses again to the same line. Built by scripts/fuzz.sh.
import SIPCore

func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let c = try? SDESCrypto(parsing: text) else { return 0 }
    if let suite = c.suite, c.keyMaterial.count != suite.keyMaterialLength { fatalError("accepted a key of the wrong length") }
    guard (try? SDESCrypto(parsing: c.attributeValue)) == c else { fatalError("a parsed crypto line does not survive serialize + parse") }
    return 0
}
