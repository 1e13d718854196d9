// Interposes the malloc family, counts calls and requested bytes per thread into the shared file
// named by SURGE_ALLOC_SHM, and forwards to the next definition (glibc's, or the target's own
// allocator such as jemalloc). Plain C, libc only: see include/SurgeAllocCounter.h for the layout
// and for what is counted. Syscalls it makes in the target: open, mmap, close and getpid when it
// loads; getpid in each forked child (on its first allocation); none per call or per thread.
#define _GNU_SOURCE
#include "SurgeAllocCounter.h"
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

typedef void *(*malloc_fn)(size_t);
typedef void *(*calloc_fn)(size_t, size_t);
typedef void *(*realloc_fn)(void *, size_t);
typedef void (*free_fn)(void *);
typedef int (*posix_memalign_fn)(void **, size_t, size_t);
typedef void *(*aligned_alloc_fn)(size_t, size_t);
typedef void *(*valloc_fn)(size_t);

static malloc_fn real_malloc;
static calloc_fn real_calloc;
static realloc_fn real_realloc;
static free_fn real_free;
static posix_memalign_fn real_posix_memalign;
static aligned_alloc_fn real_aligned_alloc;
static aligned_alloc_fn real_memalign;
static valloc_fn real_valloc;
static valloc_fn real_pvalloc;

static unsigned char *shared;            // the mapped file, or NULL when not counting
static _Atomic int resolving;
static uint64_t process_id;              // 0 in a forked child until its first allocation

// dlsym may call calloc/malloc before the real functions are known: serve those from here.
static _Alignas(16) unsigned char bootstrap[8192];
static _Atomic size_t bootstrap_used;

static __thread uint64_t *my_slot __attribute__((tls_model("initial-exec")));
static __thread int my_slot_shared __attribute__((tls_model("initial-exec")));

static int in_bootstrap(const void *p) {
    return (const unsigned char *)p >= bootstrap && (const unsigned char *)p < bootstrap + sizeof bootstrap;
}

static void *bootstrap_alloc(size_t size) {
    size_t rounded = (size + 15) & ~(size_t)15;
    size_t at = atomic_fetch_add(&bootstrap_used, rounded);
    if (at + rounded > sizeof bootstrap) return NULL;
    return bootstrap + at;
}

static void resolve(void) {
    if (real_malloc) return;
    atomic_store(&resolving, 1);
    real_calloc = (calloc_fn)dlsym(RTLD_NEXT, "calloc");
    malloc_fn m = (malloc_fn)dlsym(RTLD_NEXT, "malloc");
    real_realloc = (realloc_fn)dlsym(RTLD_NEXT, "realloc");
    real_free = (free_fn)dlsym(RTLD_NEXT, "free");
    real_posix_memalign = (posix_memalign_fn)dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = (aligned_alloc_fn)dlsym(RTLD_NEXT, "aligned_alloc");
    real_memalign = (aligned_alloc_fn)dlsym(RTLD_NEXT, "memalign");
    real_valloc = (valloc_fn)dlsym(RTLD_NEXT, "valloc");
    real_pvalloc = (valloc_fn)dlsym(RTLD_NEXT, "pvalloc");
    real_malloc = m;
    atomic_store(&resolving, 0);
}

static uint64_t *slot(void) {
    uint64_t *s = my_slot;
    if (s) return s;
    unsigned char *base = __atomic_load_n(&shared, __ATOMIC_ACQUIRE);
    if (!base) return NULL;
    uint64_t pid = __atomic_load_n(&process_id, __ATOMIC_RELAXED);
    if (!pid) {
        pid = (uint64_t)getpid();
        __atomic_store_n(&process_id, pid, __ATOMIC_RELAXED);
    }
    uint64_t *header = (uint64_t *)base;
    uint64_t index = __atomic_fetch_add(&header[5], 1, __ATOMIC_RELAXED);
    if (index >= SURGE_ALLOC_SLOTS - 1) {
        index = SURGE_ALLOC_SLOTS - 1;
        my_slot_shared = 1;
    }
    s = (uint64_t *)(base + SURGE_ALLOC_HEADER_BYTES + index * SURGE_ALLOC_SLOT_BYTES);
    if (!my_slot_shared) __atomic_store_n(&s[0], pid, __ATOMIC_RELAXED);
    my_slot = s;
    return s;
}

static inline void count(int function, uint64_t bytes) {
    uint64_t *s = slot();
    if (!s) return;
    uint64_t *calls = &s[SURGE_ALLOC_SLOT_HEADER_WORDS + function * 2];
    uint64_t *sum = calls + 1;
    if (my_slot_shared) {
        __atomic_fetch_add(calls, 1, __ATOMIC_RELAXED);
        __atomic_fetch_add(sum, bytes, __ATOMIC_RELAXED);
    } else {
        __atomic_store_n(calls, __atomic_load_n(calls, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
        __atomic_store_n(sum, __atomic_load_n(sum, __ATOMIC_RELAXED) + bytes, __ATOMIC_RELAXED);
    }
}

// A forked child inherits the forking thread's slot pointer; two processes writing one slot
// without atomics would lose counts, so the child's thread takes a fresh slot, owned by its pid.
static void forget_slot_in_child(void) {
    my_slot = NULL;
    my_slot_shared = 0;
    __atomic_store_n(&process_id, 0, __ATOMIC_RELAXED);
}

__attribute__((constructor)) static void surge_alloc_counter_init(void) {
    resolve();
    pthread_atfork(NULL, NULL, forget_slot_in_child);
    const char *path = getenv("SURGE_ALLOC_SHM");
    if (!path) return;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) return;
    void *p = mmap(NULL, SURGE_ALLOC_FILE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) return;
    uint64_t *header = (uint64_t *)p;
    if (header[0] != SURGE_ALLOC_MAGIC || header[1] != SURGE_ALLOC_VERSION) {
        munmap(p, SURGE_ALLOC_FILE_BYTES);
        return;
    }
    uint64_t pid = (uint64_t)getpid();
    __atomic_store_n(&process_id, pid, __ATOMIC_RELAXED);
    __atomic_store_n(&header[2], pid, __ATOMIC_RELAXED);
    __atomic_fetch_add(&header[3], 1, __ATOMIC_RELAXED);
    __atomic_store_n(&shared, (unsigned char *)p, __ATOMIC_RELEASE);
}

void *malloc(size_t size) {
    if (__builtin_expect(!real_malloc, 0)) {
        if (atomic_load(&resolving)) return bootstrap_alloc(size);
        resolve();
    }
    count(SURGE_ALLOC_MALLOC, size);
    return real_malloc(size);
}

void *calloc(size_t n, size_t size) {
    if (__builtin_expect(!real_calloc || !real_malloc, 0)) {
        if (atomic_load(&resolving) || !real_calloc) return bootstrap_alloc(n * size); // static: already zero
        resolve();
    }
    count(SURGE_ALLOC_CALLOC, (uint64_t)n * size);
    return real_calloc(n, size);
}

void *realloc(void *p, size_t size) {
    if (__builtin_expect(!real_realloc, 0)) resolve();
    if (p && !in_bootstrap(p)) count(SURGE_ALLOC_REALLOC_FREE, 0);
    if (size > 0 || !p) count(SURGE_ALLOC_REALLOC, size);
    if (in_bootstrap(p)) {
        void *q = real_malloc(size);
        if (q) {
            size_t avail = (size_t)(bootstrap + sizeof bootstrap - (unsigned char *)p);
            __builtin_memcpy(q, p, size < avail ? size : avail);
        }
        return q;
    }
    return real_realloc(p, size);
}

void free(void *p) {
    if (!p || in_bootstrap(p)) return;
    if (__builtin_expect(!real_free, 0)) resolve();
    count(SURGE_ALLOC_FREE, 0);
    real_free(p);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    if (__builtin_expect(!real_posix_memalign, 0)) resolve();
    count(SURGE_ALLOC_POSIX_MEMALIGN, size);
    return real_posix_memalign(out, alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    if (__builtin_expect(!real_aligned_alloc, 0)) resolve();
    count(SURGE_ALLOC_ALIGNED_ALLOC, size);
    return real_aligned_alloc(alignment, size);
}

void *memalign(size_t alignment, size_t size) {
    if (__builtin_expect(!real_memalign, 0)) resolve();
    count(SURGE_ALLOC_MEMALIGN, size);
    return real_memalign(alignment, size);
}

void *valloc(size_t size) {
    if (__builtin_expect(!real_valloc, 0)) resolve();
    count(SURGE_ALLOC_VALLOC, size);
    return real_valloc(size);
}

void *pvalloc(size_t size) {
    if (__builtin_expect(!real_pvalloc, 0)) resolve();
    count(SURGE_ALLOC_PVALLOC, size);
    return real_pvalloc(size);
}
