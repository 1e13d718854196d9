// surge-calibrate: a probe calibration target. It reads one command per line on stdin, performs
// exactly what the command says, and answers "done [value]" on stdout. Its own control path uses
// read() on stdin and a single writev() per answer, and never allocates, so a measurement window
// around a command sees exactly the command's work plus that read/writev pair.
//
//   write N            N x write(2) of one byte to /dev/null, from the main thread
//   thread-write N     the same from a thread created for it (joined before the answer)
//   malloc M K         M x malloc(K), then M x free, from the main thread
//   thread-malloc M K  the same from a new thread
//   calloc M K         M x calloc(1, K), then M x free
//   touch MIB          maps MIB MiB anonymous memory, touches every page, unmaps it
//   spin MS            burns MS milliseconds of CPU time in user space
//   sleep MS           sleeps MS milliseconds (one voluntary context switch at least)
//   thread-sleep K MS  a new thread sleeps K times MS milliseconds, then exits (joined)
//   edges N            N x the allocation edge cases (see edge_cases below): 5N allocations of
//                      740N bytes and 5N releases, as valgrind counts them
//   pool-write T N     T threads created for it, each N x write(2) (joined before the answer)
//   fork-write K N     K forked children, each N x write(2), then _exit(0) (reaped before the answer)
//   bench-getppid N    N x getppid(); answers the thread's CPU time for them in nanoseconds
//   bench-malloc N     N x (malloc(64) + free); answers the thread's CPU time in nanoseconds
//   bench-switch N     N round trips of a byte between this thread and a new one over two pipes (each
//                      thread blocks once per trip: 2N context switches); answers both threads' CPU time
// (CPU time, user + system, includes the probes' kernel work done in this thread and excludes time
// spent preempted by other processes, so the figures hold on a loaded machine.)
//   quit               exits 0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_POINTERS 4000000
static void *volatile pointers[MAX_POINTERS];
static int devnull = -1;

struct job { char op; uint64_t n; uint64_t size; };

static void sleep_ms(uint64_t ms) {
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static uint64_t now_ns(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void run(const struct job *job) {
    switch (job->op) {
    case 'w':
        for (uint64_t i = 0; i < job->n; i++) (void)!write(devnull, "x", 1);
        break;
    case 's':
        for (uint64_t i = 0; i < job->n; i++) sleep_ms(job->size);
        break;
    case 'm':
    case 'c': {
        uint64_t n = job->n < MAX_POINTERS ? job->n : MAX_POINTERS;
        for (uint64_t i = 0; i < n; i++) pointers[i] = job->op == 'm' ? malloc(job->size) : calloc(1, job->size);
        for (uint64_t i = 0; i < n; i++) free(pointers[i]);
        break;
    }
    }
}

// One round of the allocation calls glibc nests (posix_memalign, aligned_alloc and memalign with
// alignment <= 16 call malloc; realloc(NULL, n) calls malloc; realloc(p, 0) calls free):
// 5 allocations (64 + 128 + 48 + 200 + 300 = 740 bytes) and 5 releases (3 free, realloc(p, 300)
// releasing p, realloc(q, 0) releasing q).
void edge_cases(void) {
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

static void *thread_main(void *arg) {
    run(arg);
    return NULL;
}

struct ping_pong { int to_peer[2], from_peer[2]; uint64_t n, peer_ns; };

// The peer times itself: its CPU clock cannot be read from outside once it has exited.
static void *ping_pong_peer(void *arg) {
    struct ping_pong *pp = arg;
    uint64_t t0 = now_ns(CLOCK_THREAD_CPUTIME_ID), i = 0;
    char c;
    for (; i < pp->n; i++) {
        if (read(pp->to_peer[0], &c, 1) != 1 || write(pp->from_peer[1], &c, 1) != 1) break;
    }
    pp->peer_ns = i == pp->n ? now_ns(CLOCK_THREAD_CPUTIME_ID) - t0 : 0;
    return NULL;
}

/// N round trips with a peer thread; the CPU time of both threads (each thread's own CPU clock,
/// summed, so the process's other threads and the pipes' creation are not in it), or 0 on failure.
static uint64_t ping_pong(uint64_t n) {
    struct ping_pong pp = { .n = n };
    if (pipe(pp.to_peer) != 0) return 0;
    if (pipe(pp.from_peer) != 0) { close(pp.to_peer[0]); close(pp.to_peer[1]); return 0; }
    pthread_t peer;
    uint64_t total = 0;
    if (pthread_create(&peer, NULL, ping_pong_peer, &pp) == 0) {
        uint64_t t0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        char c = 1;
        uint64_t i = 0;
        for (; i < n; i++) {
            if (write(pp.to_peer[1], &c, 1) != 1 || read(pp.from_peer[0], &c, 1) != 1) break;
        }
        uint64_t mine = now_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
        pthread_join(peer, NULL);
        if (i == n && pp.peer_ns > 0) total = mine + pp.peer_ns;
    }
    close(pp.to_peer[0]); close(pp.to_peer[1]); close(pp.from_peer[0]); close(pp.from_peer[1]);
    return total;
}

static void answer(const char *text, uint64_t value, int with_value) {
    char buf[64];
    size_t len = strlen(text);
    memcpy(buf, text, len);
    if (with_value) {
        char digits[24];
        int d = 0;
        do { digits[d++] = (char)('0' + value % 10); value /= 10; } while (value);
        buf[len++] = ' ';
        while (d) buf[len++] = digits[--d];
    }
    buf[len++] = '\n';
    struct iovec iov = { buf, len };
    (void)!writev(1, &iov, 1);
}

static uint64_t number(const char **p) {
    while (**p == ' ') (*p)++;
    uint64_t v = 0;
    while (**p >= '0' && **p <= '9') v = v * 10 + (uint64_t)(*(*p)++ - '0');
    return v;
}

static int starts(const char *line, const char *word, const char **rest) {
    size_t n = strlen(word);
    if (strncmp(line, word, n) == 0 && (line[n] == ' ' || line[n] == 0)) {
        *rest = line + n;
        return 1;
    }
    return 0;
}

static int command(const char *line) {
    const char *p;
    struct job job = {0};
    if (starts(line, "write", &p)) {
        job.op = 'w'; job.n = number(&p); run(&job);
    } else if (starts(line, "thread-write", &p) || starts(line, "thread-malloc", &p) || starts(line, "thread-sleep", &p)) {
        job.op = line[7];
        job.n = number(&p);
        job.size = number(&p);
        pthread_t t;
        if (pthread_create(&t, NULL, thread_main, &job) != 0) { answer("error pthread_create", 0, 0); return 1; }
        pthread_join(t, NULL);
    } else if (starts(line, "edges", &p)) {
        uint64_t n = number(&p);
        for (uint64_t i = 0; i < n; i++) edge_cases();
    } else if (starts(line, "pool-write", &p)) {
        uint64_t threads = number(&p);
        job.op = 'w';
        job.n = number(&p);
        pthread_t pool[64];
        if (threads > 64) threads = 64;
        for (uint64_t i = 0; i < threads; i++) pthread_create(&pool[i], NULL, thread_main, &job);
        for (uint64_t i = 0; i < threads; i++) pthread_join(pool[i], NULL);
    } else if (starts(line, "fork-write", &p)) {
        uint64_t children = number(&p);
        job.op = 'w';
        job.n = number(&p);
        for (uint64_t i = 0; i < children; i++) {
            pid_t pid = fork();
            if (pid == 0) { run(&job); _exit(0); }
        }
        for (uint64_t i = 0; i < children; i++) { int status; (void)wait(&status); }
    } else if (starts(line, "malloc", &p) || starts(line, "calloc", &p)) {
        job.op = line[0] == 'm' ? 'm' : 'c'; job.n = number(&p); job.size = number(&p); run(&job);
    } else if (starts(line, "touch", &p)) {
        size_t bytes = (size_t)number(&p) << 20;
        unsigned char *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) { answer("error mmap", 0, 0); return 1; }
        for (size_t i = 0; i < bytes; i += 4096) m[i] = 1;
        munmap(m, bytes);
    } else if (starts(line, "spin", &p)) {
        uint64_t until = now_ns(CLOCK_THREAD_CPUTIME_ID) + number(&p) * 1000000ull;
        volatile uint64_t x = 0;
        while (now_ns(CLOCK_THREAD_CPUTIME_ID) < until) for (int i = 0; i < 200000; i++) x += (uint64_t)i;  // the CPU clock read is a syscall: rarely
    } else if (starts(line, "sleep", &p)) {
        sleep_ms(number(&p));
    } else if (starts(line, "bench-getppid", &p)) {
        uint64_t n = number(&p), t0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        for (uint64_t i = 0; i < n; i++) (void)getppid();
        answer("done", now_ns(CLOCK_THREAD_CPUTIME_ID) - t0, 1);
        return 1;
    } else if (starts(line, "bench-malloc", &p)) {
        uint64_t n = number(&p), t0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        for (uint64_t i = 0; i < n; i++) { pointers[0] = malloc(64); free(pointers[0]); }
        answer("done", now_ns(CLOCK_THREAD_CPUTIME_ID) - t0, 1);
        return 1;
    } else if (starts(line, "bench-switch", &p)) {
        uint64_t ns = ping_pong(number(&p));
        if (ns == 0) { answer("error ping-pong", 0, 0); return 1; }
        answer("done", ns, 1);
        return 1;
    } else if (starts(line, "quit", &p)) {
        answer("done", 0, 0);
        _exit(0);
    } else {
        answer("error unknown command", 0, 0);
        return 1;
    }
    answer("done", 0, 0);
    return 1;
}

int main(void) {
    devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    static char buf[4096];
    size_t used = 0;
    answer("ready", (uint64_t)getpid(), 1);
    for (;;) {
        ssize_t n = read(0, buf + used, sizeof buf - 1 - used);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return 0;
        used += (size_t)n;
        char *start = buf, *nl;
        while ((nl = memchr(start, '\n', (size_t)(buf + used - start)))) {
            *nl = 0;
            command(start);
            start = nl + 1;
        }
        used = (size_t)(buf + used - start);
        memmove(buf, start, used);
        if (used == sizeof buf - 1) used = 0;
    }
}
