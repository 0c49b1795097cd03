#define _GNU_SOURCE
#include "csip_shims.h"
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Read-only file mappings (code, constants) hold only the file's own
 * bytes unless something was written there before they became read-only
 * (relocations in RELRO): those are refused by the Anonymous/Swap check
 * (a written private page is a private copy), because dropping it would
 * bring back the file's unrelocated bytes. Not Private_Dirty: it also
 * counts page-cache pages not yet written back (a binary just installed),
 * which are the file's bytes. Writable mappings are never touched.
 * Each mapping is handled when its smaps block ends: splitting or dropping
 * it changes nothing the reader has still to read. */
static void csip_split(unsigned long start, unsigned long end, unsigned long granule) {
    /* Every other granule gets MADV_RANDOM: neighbouring granules then
     * differ in their flags and stay separate VMAs, and the kernel's
     * fault-around (which maps up to 64 KB of cached neighbours of a
     * faulting page, but never beyond its VMA) maps one granule at most. */
    for (unsigned long a = start + granule; a < end; a += 2 * granule) {
        unsigned long len = end - a < granule ? end - a : granule;
        (void)madvise((void *)a, len, MADV_RANDOM);
    }
}

long csip_release_clean_file_pages(long granule_pages) {
    FILE *f = fopen("/proc/self/smaps", "re");
    if (!f) return -1;
    unsigned long granule = granule_pages > 0 ? (unsigned long)granule_pages * (unsigned long)sysconf(_SC_PAGESIZE) : 0;
    int candidate = 0;
    unsigned long start = 0, end = 0;
    long released = 0;
    char line[512];
    char buffer[65536];
    setvbuf(f, buffer, _IOFBF, sizeof buffer);
    /* A mapping's block ends with VmFlags (smaps' last field): decide there.
     * Most lines are fields that do not matter: told apart by their first
     * bytes before any parsing (a daemon has thousands of mappings). */
    while (fgets(line, sizeof line, f)) {
        unsigned long value;
        char *dash = strchr(line, '-'), *colon = strchr(line, ':');
        if (dash && (!colon || dash < colon)) {
            unsigned long a, b;
            char perms[8], path[256];
            path[0] = 0;
            if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255s", &a, &b, perms, path) < 3) { candidate = 0; continue; }
            start = a; end = b;
            /* r-xp or r--p, backed by a file (not [vdso], [heap], anonymous). */
            candidate = perms[0] == 'r' && perms[1] == '-' && perms[3] == 'p' && path[0] == '/';
        } else if (!candidate) {
            continue;
        } else if ((strncmp(line, "Anonymous:", 10) == 0 && sscanf(line + 10, "%lu", &value) == 1 && value != 0)
                   || (strncmp(line, "Swap:", 5) == 0 && sscanf(line + 5, "%lu", &value) == 1 && value != 0)) {
            candidate = 0;
        } else if (strncmp(line, "VmFlags:", 8) == 0) {
            /* Locked mappings stay as they are. */
            if (!strstr(line, " lo")) {
                if (granule && end - start > granule) csip_split(start, end, granule);
                if (madvise((void *)start, end - start, MADV_DONTNEED) == 0) released += (long)(end - start);
            }
            candidate = 0;
        }
    }
    fclose(f);
    return released;
}

long csip_resident_kb(void) {
    FILE *f = fopen("/proc/self/statm", "re");
    if (!f) return -1;
    unsigned long size = 0, resident = 0;
    int n = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    return n == 2 ? (long)(resident * (unsigned long)sysconf(_SC_PAGESIZE) / 1024) : -1;
}
