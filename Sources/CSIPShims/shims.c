#define _GNU_SOURCE
#include "csip_shims.h"
#include <openssl/err.h>
#include <openssl/x509.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

int csip_SSL_CTX_set_min_tls12(SSL_CTX *ctx) {
    return (int)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
}

long csip_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}

void csip_SSL_CTX_set_nonblocking_modes(SSL_CTX *ctx) {
    /* Partial writes and a moving buffer: the transport retries with the
     * rest of its queue after WANT_WRITE. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

static int csip_no_passphrase(char *buf, int size, int rwflag, void *u) {
    (void)buf; (void)size; (void)rwflag; (void)u;
    return 0; /* never prompt: an encrypted key must fail to load */
}

void csip_SSL_CTX_refuse_passphrase(SSL_CTX *ctx) {
    SSL_CTX_set_default_passwd_cb(ctx, csip_no_passphrase);
}

int csip_ERR_GET_REASON(unsigned long e) { return ERR_GET_REASON(e); }

int csip_X509_V_OK(void) { return X509_V_OK; }

int csip_error_watch_fd(int fd) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) return -1;
    /* No events asked for: epoll always reports EPOLLERR (and EPOLLHUP). */
    struct epoll_event ev = { .events = 0, .data = { .fd = fd } };
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) { close(ep); return -1; }
    return ep;
}

int csip_accept_nonblocking(int fd, struct sockaddr *addr, unsigned int *len) {
    return accept4(fd, addr, (socklen_t *)len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}
