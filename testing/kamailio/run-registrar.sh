#!/usr/bin/env bash
# Starts the test registrar in the foreground on loopback.
# Usage: run-registrar.sh WORKDIR ADDRESS PORT PASSWORD [MIN_EXPIRES] [ALGORITHM]
set -euo pipefail
work=$1 addr=$2 port=$3 password=$4 min_expires=${5:-10} algorithm=${6:-MD5}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
listen="listen=udp:${addr}:${port}
listen=tcp:${addr}:${port}"
sed -e "s|@LISTEN@|${listen//$'\n'/\\n}|" -e "s|@PASSWORD@|$password|" -e "s|@MIN_EXPIRES@|$min_expires|" \
    -e "s|@ALGORITHM@|$algorithm|" -e "s|@CTL_SOCKET@|$work/ctl.sock|" -e "s|@TLS@||" "$here/registrar.cfg.in" > "$work/kamailio.cfg"
exec kamailio -f "$work/kamailio.cfg" -DD -E -m 32 -M 8 -P "$work/kamailio.pid" -Y "$work"
