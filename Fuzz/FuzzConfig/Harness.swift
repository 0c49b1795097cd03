// libFuzzer target: a configuration file as an admin (or a broken
// deployment tool) might write it — the line parser, then every key's
// validation and the cross-key rules. Refusing is fine; crashing is not.
// The config files are the daemon's own (symbolic links: the daemon is an
// executable, which no other target can import). Built by scripts/fuzz.sh.
func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let (entries, _) = ConfigFile.parse(text)
    if case .failure(let errors) = ConfigSchema.load(entries) { _ = errors.description }
    return 0
}
