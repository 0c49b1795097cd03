#!/usr/bin/env bash
# Sets up the machine, builds, and runs the whole test suite (unit,
# conformance, fuzz, and integration tests against real kamailio), then
# every libFuzzer target for a short fixed time (scripts/fuzz.sh; set
# SIPENDPOINTD_FUZZ_SECONDS, default 20, 0 to skip), then the Debian
# package's install test (scripts/package-test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build --build-tests
export SIPENDPOINTD_BIN="$(swift build --show-bin-path)/sipendpointd"
swift test --skip-build
seconds=${SIPENDPOINTD_FUZZ_SECONDS:-20}
if [ "$seconds" != 0 ]; then bash scripts/fuzz.sh all "$seconds"; fi
# The Debian package installed into a fresh Debian 12 root and purged (chroot: root only).
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo -E"
$SUDO bash scripts/package-test.sh
