#!/bin/bash
# The Debian package, end to end: build it (scripts/package.sh), inspect
# it (dpkg-deb -c/-I, lintian: no errors), install it into a fresh Debian 12
# root made with debootstrap (apt resolving its Depends from that root's own
# archive), run `sipendpointd --version` and `check-config` inside, then
# purge it and check that nothing is left. Needs root (chroot) and a Debian
# mirror; SIPENDPOINTD_DEB_ROOT=DIR reuses a debootstrapped root (copied).
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "package-test: FAIL: $*" >&2; exit 1; }
deb=$(bash scripts/package.sh .build-deb | tail -1)
name=$(basename "$deb")
echo "package-test: built $name ($(du -k "$deb" | cut -f1) kB)"

# --- What the package holds and says about itself.
contents=$(dpkg-deb -c "$deb")
for f in ./usr/sbin/sipendpointd ./lib/systemd/system/sipendpointd.service ./usr/lib/sysusers.d/sipendpointd.conf \
         ./usr/lib/tmpfiles.d/sipendpointd.conf ./etc/sipendpointd/sipendpointd.conf \
         ./usr/share/doc/sipendpointd/sipendpointd.conf.example ./usr/share/doc/sipendpointd/copyright; do
  grep -q " $f\$" <<<"$contents" || fail "$f is not in the package"
done
info=$(dpkg-deb -I "$deb")
for d in libsrtp2-1 libopus0 libasound2 libspeexdsp1 libssl3 libsystemd0 'systemd |'; do
  grep -q "Depends:.*$d" <<<"$info" || fail "Depends lacks $d: $(grep Depends <<<"$info")"
done
grep -q "libswift" <<<"$info" && fail "the package depends on a Swift runtime library"
[ "$(dpkg-deb -f "$deb" Package)" = sipendpointd ] || fail "package name"
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/sipendpointd/sipendpointd.conf || fail "the config is not a conffile"
lint=$(lintian "$deb" 2>&1 || true)
grep -q '^E:' <<<"$lint" && fail "lintian errors: $(grep '^E:' <<<"$lint")"
echo "package-test: contents, Depends, conffiles OK; lintian: $(grep -c '^W:' <<<"$lint" || true) warnings, 0 errors"

# --- A fresh Debian 12 root.
root=$(mktemp -d /tmp/sipendpointd-root.XXXXXX)
cleanup() { umount "$root/proc" 2>/dev/null || true; rm -rf "$root"; }
trap cleanup EXIT
if [ -n "${SIPENDPOINTD_DEB_ROOT:-}" ]; then
  cp -a "$SIPENDPOINTD_DEB_ROOT/." "$root/"
else
  debootstrap --variant=minbase bookworm "$root" "${SIPENDPOINTD_DEB_MIRROR:-http://deb.debian.org/debian}" >"$root.log" 2>&1 \
    || { tail -20 "$root.log"; fail "debootstrap"; }
  rm -f "$root.log"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }
[ -e "$root/usr/sbin/sipendpointd" ] && fail "the fresh root already has sipendpointd"
cp "$deb" "$root/tmp/$name"
in_root apt-get update -q >/dev/null
in_root apt-get install -y -q --no-install-recommends "/tmp/$name" >"$root/tmp/install.log" 2>&1 || { tail -30 "$root/tmp/install.log"; fail "apt-get install"; }
echo "package-test: installed into a fresh bookworm root, with $(grep -c '^Setting up' "$root/tmp/install.log") packages set up"

# --- The daemon inside it.
version=$(in_root /usr/sbin/sipendpointd --version)
[ "$version" = "$(dpkg-deb -f "$deb" Version | cut -d- -f1)" ] || fail "--version says '$version'"
in_root ldd /usr/sbin/sipendpointd | grep -q "not found" && fail "unresolved libraries: $(in_root ldd /usr/sbin/sipendpointd | grep 'not found')"
set +e
out=$(in_root /usr/sbin/sipendpointd check-config /etc/sipendpointd/sipendpointd.conf 2>&1); rc=$?
set -e
[ $rc = 78 ] || fail "check-config of the unfilled config exited $rc: $out"
grep -q "sipendpoint.user" <<<"$out" || fail "check-config does not name the missing DN: $out"
# Owners by the root's own user database.
conf_mode=$(in_root stat -c '%a %U %G' /etc/sipendpointd/sipendpointd.conf) dir_mode=$(in_root stat -c '%a %U %G' /etc/sipendpointd)
[ "$conf_mode" = "640 root sipendpointd" ] || fail "config mode/owner: $conf_mode"
[ "$dir_mode" = "750 root sipendpointd" ] || fail "config directory mode/owner: $dir_mode"
state_mode=$(in_root stat -c '%a %U' /var/lib/sipendpointd)
[ "$state_mode" = "700 sipendpointd" ] || fail "state directory: $state_mode"
in_root id -nG sipendpointd | grep -qw audio || fail "the service user is not in group audio"
[ -L "$root/etc/systemd/system/multi-user.target.wants/sipendpointd.service" ] || fail "the unit is not enabled"
sed -i -e 's/^sipendpoint.user =.*/sipendpoint.user = 7001/' -e 's/^sipendpoint.sip-server-address =.*/sipendpoint.sip-server-address = sip.example.com/' \
  "$root/etc/sipendpointd/sipendpointd.conf"
in_root /usr/sbin/sipendpointd check-config /etc/sipendpointd/sipendpointd.conf >/dev/null || fail "check-config of a filled-in config"
echo "package-test: sipendpointd $version runs in the root; check-config exits 78 until the DN and SIP Server are set, then OK; conf 0640 root:sipendpointd; unit enabled, not started"

# --- Purge leaves nothing behind.
in_root apt-get purge -y -q sipendpointd >/dev/null 2>&1 || fail "apt-get purge"
for p in /usr/sbin/sipendpointd /etc/sipendpointd /var/lib/sipendpointd /lib/systemd/system/sipendpointd.service \
         /etc/systemd/system/multi-user.target.wants/sipendpointd.service /usr/share/doc/sipendpointd /usr/lib/sysusers.d/sipendpointd.conf; do
  [ -e "$root$p" ] || [ -L "$root$p" ] && fail "$p is left after purge"
done
in_root dpkg -s sipendpointd >/dev/null 2>&1 && fail "dpkg still knows the package"
echo "package-test: purged, nothing left (the system user stays, as Debian keeps system users)"
