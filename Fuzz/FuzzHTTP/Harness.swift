// libFuzzer target: bytes on the control port — the HTTP/1.1 request
// parser fed in two pieces (as TCP delivers), every request it yields
// taken apart (target, query, headers, body). The parser's files are the
// daemon's own (symbolic links: the daemon is an executable, which no
// other target can import). Built by scripts/fuzz.sh.
func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    var parser = HTTPParser(limits: HTTPLimits(maxHeaderBytes: 4096, maxHeaders: 32, maxBodyBytes: 4096))
    parser.append(bytes.prefix(size / 3))
    var requests = 0
    for _ in 0..<2 {
        while requests < 64 {
            guard let request = try? parser.next() else { break }
            requests += 1
            _ = (request.path, request.query, request.header("content-type"), request.keepAlive, request.body.count)
        }
        parser.append(bytes.dropFirst(size / 3))
    }
    return 0
}
