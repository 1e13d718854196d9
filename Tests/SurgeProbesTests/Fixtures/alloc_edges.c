// Calibration fixture: `alloc_edges N` runs the same allocation edge cases as surge-calibrate's
// `edges N` (Sources/SurgeCalibrate/calibrate.c, edge_cases) and nothing else, so valgrind's
// "total heap usage" of this program is exactly what Surge must count: 5N allocs, 5N frees,
// 740N bytes. Output through write(2) only (stdio would allocate its buffer).
#define _GNU_SOURCE
#include <malloc.h>
#include <stdlib.h>

static void edge_cases(void) {
    // Through a volatile sink: the compiler may otherwise drop an allocation nobody uses.
    static void *volatile sink[5];
    void *a = NULL;
    if (posix_memalign(&a, 16, 64) != 0) a = NULL;
    sink[0] = a;
    sink[1] = aligned_alloc(16, 128);
    sink[2] = memalign(8, 48);
    sink[3] = realloc(NULL, 200);
    sink[4] = realloc(sink[3], 300);
    sink[3] = realloc(sink[4], 0);
    free(sink[0]);
    free(sink[1]);
    free(sink[2]);
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 100;
    for (long i = 0; i < n; i++) edge_cases();
    return 0;
}
