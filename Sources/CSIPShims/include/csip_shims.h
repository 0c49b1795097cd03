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

/* Memory. Unmaps the pages of the process's read-only, unmodified file
 * mappings (code and constants of the binary and its libraries): they stay
 * in the page cache and come back on the next touch as minor faults, so
 * what stays resident is what the process goes on using, not what start-up
 * once ran. With `granule_pages` > 0 the mappings are first cut into VMAs of
 * that many pages, so the kernel's fault-around (up to 64 KB of neighbours
 * mapped with each faulting page) maps no more than that. Returns the bytes
 * of address space released, or -1. */
long csip_release_clean_file_pages(long granule_pages);

/* Resident set of this process in kB (/proc/self/statm), or -1. */
long csip_resident_kb(void);

/* Byte scans sixteen bytes a step, for the SIP parser's header lines.
 * Static inline, so Swift inlines them into its loops (no call per step).
 * Bit i of the result is set when p[i] is `c` (csip_eq_mask16) or has its
 * high bit set (csip_high_mask16); p must have 16 readable bytes. SSE2 on
 * x86-64 (always there); a portable loop elsewhere. */
#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
static inline uint32_t csip_eq_mask16(const void *p, uint8_t c) {
    __m128i v = _mm_loadu_si128((const __m128i *)p);
    return (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8((char)c)));
}
static inline uint32_t csip_high_mask16(const void *p) {
    return (uint32_t)_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)p));
}
#else
static inline uint32_t csip_eq_mask16(const void *p, uint8_t c) {
    const uint8_t *b = (const uint8_t *)p;
    uint32_t m = 0;
    for (int i = 0; i < 16; i++) m |= (uint32_t)(b[i] == c) << i;
    return m;
}
static inline uint32_t csip_high_mask16(const void *p) {
    const uint8_t *b = (const uint8_t *)p;
    uint32_t m = 0;
    for (int i = 0; i < 16; i++) m |= (uint32_t)(b[i] >> 7) << i;
    return m;
}
#endif

#endif
