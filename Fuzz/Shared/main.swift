import CFuzzDriver
#if canImport(Glibc)
import Glibc
#endif

// libFuzzer's driver on this target's harness (its Harness.swift); every Fuzz target links this one file.
exit(csip_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv) { data, size in
    guard let data else { return 0 }
    return fuzzOne(data, size)
})
