// Calibration for the allocation profile: per iteration alloc_big() mallocs 768 bytes and
// alloc_small() 256 (3:1 in bytes), both freed at once, ITERATIONS times after a 300 ms pause.
// Usage: alloc_ratio ITERATIONS
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *volatile keep;

__attribute__((noinline)) void alloc_big(void) {
    keep = malloc(768);
    free(keep);
}

__attribute__((noinline)) void alloc_small(void) {
    keep = malloc(256);
    free(keep);
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    long iterations = atol(argv[1]);
    usleep(300000);
    for (long i = 0; i < iterations; i++) {
        alloc_big();
        alloc_small();
    }
    usleep(200000);
    printf("iterations %ld\n", iterations);
    return 0;
}
