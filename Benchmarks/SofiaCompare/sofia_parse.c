/* sofia-sip's parser on the same bytes as SIPParseBench, for a ratio measured
 * in one run (scripts/parse-bench.sh builds and runs it; not a SwiftPM target).
 * msg_make() parses a complete message: every header into its typed form.
 * Usage: sofia_parse FILE SECONDS — prints the median and best of 5 rounds. */
#include <sofia-sip/msg.h>
#include <sofia-sip/sip_header.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s FILE SECONDS\n", argv[0]); return 2; }
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 1; }
    char buf[4096];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    double seconds = atof(argv[2]);
    msg_mclass_t const *mc = sip_default_mclass();
    /* The message must parse without errors, or the figure would mean nothing. */
    msg_t *check = msg_make(mc, 0, buf, len);
    if (!check || !sip_object(check) || sip_object(check)->sip_error) { fprintf(stderr, "sofia-sip: %s does not parse cleanly\n", argv[1]); return 1; }
    msg_destroy(check);
    double rates[5];
    for (int r = 0; r < 5; r++) {
        double start = now();
        long n = 0;
        while (now() - start < seconds) {
            for (int i = 0; i < 10000; i++) msg_destroy(msg_make(mc, 0, buf, len));
            n += 10000;
        }
        rates[r] = n / (now() - start);
    }
    qsort(rates, 5, sizeof rates[0], cmp);
    printf("median %.0f msg/s (%.1f ns/msg), best %.0f msg/s, %zu bytes\n", rates[2], 1e9 / rates[2], rates[4], len);
    return 0;
}
