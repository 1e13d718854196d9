// Calibration for the off-cpu profile: sleeper() naps 5 ms, worker() burns ~5 ms, for SECONDS
// seconds after a 300 ms pause. Prints the total time spent inside nap() in nanoseconds.
// Usage: sleep_half SECONDS
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;
static long long napped;

static long long nanos(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// The direct caller of a libc function without frame pointers is lost to a frame-pointer walk,
// so the sleep is one call below the function whose stack is checked.
__attribute__((noinline)) void nap(void) {
    long long start = nanos();
    usleep(5000);
    napped += nanos() - start;
}

__attribute__((noinline)) void sleeper(void) { nap(); }

__attribute__((noinline)) void worker(void) {
    long long end = nanos() + 5000000;
    while (nanos() < end) sink++;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    double seconds = atof(argv[1]);
    usleep(300000);
    long long end = nanos() + (long long)(seconds * 1e9);
    while (nanos() < end) {
        sleeper();
        worker();
    }
    printf("napped %lld\n", napped);
    return 0;
}
