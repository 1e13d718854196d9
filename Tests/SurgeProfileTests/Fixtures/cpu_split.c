// Calibration for the cpu profile: burn_a does A units of work, burn_b B units, per iteration,
// for SECONDS seconds after a 300 ms pause (time to attach). Prints the iterations done.
// Usage: cpu_split SECONDS A B
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

// Both burn through the same loop at the same address, so a unit costs them the same
// (two copies of the loop ran up to 30% apart from code placement alone).
__attribute__((noinline)) void spin(long n) {
    for (long i = 0; i < n; i++) sink += i ^ (sink >> 3);
}

__attribute__((noinline)) void burn_a(long units) { spin(units * 1000); }

__attribute__((noinline)) void burn_b(long units) { spin(units * 1000); }

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 4) return 2;
    double seconds = atof(argv[1]);
    long a = atol(argv[2]), b = atol(argv[3]);
    usleep(300000);
    double end = now() + seconds;
    long iterations = 0;
    while (now() < end) {
        burn_a(a);
        burn_b(b);
        iterations++;
    }
    printf("iterations %ld\n", iterations);
    return 0;
}
