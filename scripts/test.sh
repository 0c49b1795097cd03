#!/usr/bin/env bash
# Sets up the machine, builds, and runs the whole test suite (unit,
# conformance, fuzz, and integration tests against real kamailio).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build --build-tests
export SIPENDPOINTD_BIN="$(swift build --show-bin-path)/sipendpointd"
swift test --skip-build
