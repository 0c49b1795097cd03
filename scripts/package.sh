#!/bin/bash
# Builds sipendpointd_<version>-1_amd64.deb from a release build with the
# Swift runtime linked statically, so the package needs only Debian
# libraries: Depends comes from dpkg-shlibdeps on the binary itself.
#   bash scripts/package.sh [OUTDIR]      (default .build-deb/)
# Installs: /usr/sbin/sipendpointd, the unit (/lib/systemd/system), the
# sysusers.d and tmpfiles.d snippets, /etc/sipendpointd/sipendpointd.conf
# (a conffile, 0640 root:sipendpointd, DN and SIP Server still to fill
# in), docs and the full example in /usr/share/doc/sipendpointd.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(readlink -f "${1:-.build-deb}")
version=$(sed -n 's/.*static let string = "\(.*\)"/\1/p' Sources/EndpointDaemon/Service/EndpointService.swift)-1
swift build -c release --static-swift-stdlib --product sipendpointd >/dev/null
bindir=$(swift build -c release --static-swift-stdlib --show-bin-path)
stage=$(mktemp -d /tmp/sipendpointd-deb.XXXXXX)
trap 'rm -rf "$stage"' EXIT
root=$stage/root
make -s install-files DESTDIR="$root" BINDIR="$bindir" UNITDIR=/lib/systemd/system >/dev/null
# Debug info stays out of an agent box's package.
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/sbin/sipendpointd"
doc=$root/usr/share/doc/sipendpointd
install -m 0644 docs/admin-guide.md "$doc/admin-guide.md"
install -m 0644 packaging/debian/copyright "$doc/copyright"
printf 'sipendpointd (%s) unstable; urgency=medium\n\n  * Package built by scripts/package.sh.\n\n -- sipendpointd developers <sipendpointd@lists.example.org>  %s\n' \
  "$version" "$(date -R -d @"${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")" | gzip -9n > "$doc/changelog.Debian.gz"
gzip -9n "$doc/admin-guide.md" "$doc/README.md"
# Shipped with the usual modes; postinst (systemd-tmpfiles, then chown/chmod unless the admin set
# a dpkg-statoverride) makes the directory 0750 and the file 0640, group sipendpointd.
chmod 0755 "$root/etc/sipendpointd"
chmod 0644 "$root/etc/sipendpointd/sipendpointd.conf"
install -D -m 0644 packaging/sipendpointd.8 "$root/usr/share/man/man8/sipendpointd.8"
gzip -9n "$root/usr/share/man/man8/sipendpointd.8"
# Dependencies from what the binary really links (dpkg-shlibdeps wants a source tree around it).
mkdir -p "$stage/src/debian"
printf 'Source: sipendpointd\n\nPackage: sipendpointd\nArchitecture: amd64\n' > "$stage/src/debian/control"
depends=$(cd "$stage/src" && dpkg-shlibdeps -O "$root/usr/sbin/sipendpointd" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "package: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
mkdir -p "$root/DEBIAN"
sed -e "s/@VERSION@/$version/" -e "s/@DEPENDS@/$depends/" -e "s/@SIZE@/$(du -sk --exclude=DEBIAN "$root" | cut -f1)/" \
  packaging/debian/control.in > "$root/DEBIAN/control"
echo /etc/sipendpointd/sipendpointd.conf > "$root/DEBIAN/conffiles"
install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$root/DEBIAN/"
(cd "$root" && find . -type f ! -path './DEBIAN/*' ! -path './etc/*' -printf '%P\0' | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums" "$root/DEBIAN/conffiles" "$root/DEBIAN/control"
mkdir -p "$out"
deb=$out/sipendpointd_${version}_amd64.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
echo "package: $(du -k "$deb" | cut -f1) kB, binary $(du -k "$root/usr/sbin/sipendpointd" | cut -f1) kB; Depends: $(sed -n 's/^Depends: //p' "$root/DEBIAN/control")" >&2
