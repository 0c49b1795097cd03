#ifndef CSIP_SYSTEMD_SHIM_H
#define CSIP_SYSTEMD_SHIM_H
#include <sys/uio.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#endif
