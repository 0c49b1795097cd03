#!/usr/bin/env bash
# Installs what sipendpointd needs to build, test and run its demo on Debian 12.
# Idempotent: packages already present are left alone.
set -euo pipefail
packages=(
  pkg-config libssl-dev         # OpenSSL 3 (digest hashes; TLS transport)
  libsystemd-dev                # sd_notify and the journald log backend
  kamailio kamailio-tls-modules # the real registrar used by the demo and the tests
  sip-tester                    # sipp, a real SIP peer for tests
  dnsmasq-base                  # a real DNS server for the SRV/NAPTR tests
  openssl                       # test certificates
  iproute2                      # network namespaces for the network-change test
  make python3 util-linux       # make install; the journald test's receiver and unshare
  systemd                       # systemd-analyze for the unit hardening check
  curl                          # HTTPS client in the control-port test
  chromium                      # a real browser for the CORS / EventSource test
  libsrtp2-dev libopus-dev libasound2-dev libspeexdsp-dev  # the media engine: SRTP, Opus, ALSA, resampling
  alsa-utils libasound2-plugins # ALSA file PCMs used by the audio tests
  baresip-core                  # a real far end for calls
  espeak-ng sox                 # speech test signals
  python3-pip                   # PESQ scoring (pesq and numpy from PyPI)
  dpkg-dev debootstrap lintian  # the Debian package: Depends, an install root, its checks
  g++                           # libstdc++ for libFuzzer (scripts/fuzz.sh)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# Debian enables kamailio's own service on install; the tests start their own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet kamailio 2>/dev/null; then
  ${SUDO:-} systemctl stop kamailio || true
fi
# PESQ (ITU-T P.862) for the audio-quality tests.
if ! python3 -c "import pesq, numpy" 2>/dev/null; then
  python3 -m pip install --quiet --break-system-packages pesq numpy || python3 -m pip install --quiet pesq numpy
fi
command -v swift >/dev/null || { echo "setup: a Swift 6 toolchain must be on PATH (swift --version)" >&2; exit 1; }
