#ifndef CSIP_SHIMS_H
#define CSIP_SHIMS_H
/* Function forms of OpenSSL macros and constants that do not import into
 * Swift (SSL_CTX_set_min_proto_version, SSL_set_tlsext_host_name,
 * SSL_CTX_set_mode, ERR_GET_REASON ...). Every name is prefixed csip_. */
#include <openssl/ssl.h>

int csip_SSL_CTX_set_min_tls12(SSL_CTX *ctx);
long csip_SSL_set_tlsext_host_name(SSL *ssl, const char *name);
void csip_SSL_CTX_set_nonblocking_modes(SSL_CTX *ctx);
void csip_SSL_CTX_refuse_passphrase(SSL_CTX *ctx);
int csip_ERR_GET_REASON(unsigned long e);
int csip_X509_V_OK(void);

/* Sockets. Returns an epoll descriptor that becomes readable whenever `fd`
 * has an error pending (EPOLLERR: an ICMP error on its error queue), or -1
 * with errno. A Dispatch read source on `fd` alone does not wake for that. */
int csip_error_watch_fd(int fd);

/* accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC (a GNU extension the Glibc
 * module does not export): the accepted socket is never inherited by a
 * process spawned at the same moment. `addr`/`len` may be NULL. */
struct sockaddr;
int csip_accept_nonblocking(int fd, struct sockaddr *addr, unsigned int *len);

#endif
