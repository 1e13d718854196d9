// Calibration fixture linked against jemalloc (-ljemalloc): its malloc is jemalloc's, so uprobes
// on glibc's malloc see none of its calls. Reads lines on stdin: "malloc N K" makes N malloc(K)
// and frees them, answering "done"; "quit" exits. Answers go through write(2).
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *pointers[100000];

int main(void) {
    char line[128];
    size_t used = 0;
    (void)!write(1, "ready\n", 6);
    for (;;) {
        ssize_t n = read(0, line + used, sizeof line - 1 - used);
        if (n <= 0) return 0;
        used += (size_t)n;
        line[used] = 0;
        char *nl = strchr(line, '\n');
        if (!nl) continue;
        *nl = 0;
        if (strncmp(line, "quit", 4) == 0) return 0;
        long count = 0, size = 0;
        char *p = line + 6;
        count = strtol(p, &p, 10);
        size = strtol(p, &p, 10);
        if (count > 100000) count = 100000;
        for (long i = 0; i < count; i++) pointers[i] = malloc((size_t)size);
        for (long i = 0; i < count; i++) free(pointers[i]);
        (void)!write(1, "done\n", 5);
        used = 0;
    }
}
