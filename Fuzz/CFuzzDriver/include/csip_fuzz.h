#ifndef CSIP_FUZZ_H
#define CSIP_FUZZ_H
#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer (its LLVMFuzzerRunDriver) on `one`, with libFuzzer's own
/// command line: SwiftPM gives every executable its own main, so the fuzz
/// targets start libFuzzer from there instead of using libFuzzer's main.
int csip_fuzz_run(int argc, char **argv, int (*one)(const uint8_t *data, size_t size));

#endif
