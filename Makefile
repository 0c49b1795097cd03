# Build and install sipendpointd in its FHS places:
#   make install DESTDIR=/tmp/stage      (PREFIX defaults to /usr)
PREFIX ?= /usr
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
SWIFT ?= swift
BINDIR ?= $(shell $(SWIFT) build -c release --show-bin-path 2>/dev/null)

.PHONY: build install install-files
build:
	$(SWIFT) build -c release --product sipendpointd

install: build install-files

# The files alone, from an existing build (BINDIR=...).
install-files:
	install -D -m 0755 $(BINDIR)/sipendpointd $(DESTDIR)$(PREFIX)/sbin/sipendpointd
	install -D -m 0644 systemd/sipendpointd.service $(DESTDIR)$(UNITDIR)/sipendpointd.service
	install -D -m 0644 systemd/sipendpointd.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/sipendpointd.conf
	install -D -m 0644 systemd/sipendpointd.tmpfiles $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/sipendpointd.conf
	install -D -m 0644 sipendpointd.conf.example $(DESTDIR)$(PREFIX)/share/doc/sipendpointd/sipendpointd.conf.example
	install -D -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/sipendpointd/README.md
	install -d -m 0750 $(DESTDIR)$(SYSCONFDIR)/sipendpointd
	# The example with the agent's DN and the SIP Server left empty: check-config (the unit's
	# ExecStartPre) refuses it until the admin fills them in, so nothing registers as a stranger.
	test -e $(DESTDIR)$(SYSCONFDIR)/sipendpointd/sipendpointd.conf || \
	  sed -e 's/^sipendpoint\.user = .*/sipendpoint.user =/' -e 's/^sipendpoint\.sip-server-address = .*/sipendpoint.sip-server-address =/' \
	    sipendpointd.conf.example > $(DESTDIR)$(SYSCONFDIR)/sipendpointd/sipendpointd.conf && \
	  chmod 0640 $(DESTDIR)$(SYSCONFDIR)/sipendpointd/sipendpointd.conf
