#ifndef SURGE_ALLOC_COUNTER_H
#define SURGE_ALLOC_COUNTER_H
// LD_PRELOAD allocation counter, plain C with no dependency but libc. Surge compiles
// ../alloc_counter.c with `cc -shared -fPIC -O2` into libSurgeAllocCounter.so next to the surge
// binary on first need (SurgeProbes' PreloadLibraryBuilder) and injects it into targets it starts.
// The counters live in a shared file named by the environment variable SURGE_ALLOC_SHM (created
// and sized by the harness), laid out as:
//
//   header (64 bytes): u64 magic "SURGEALC", u64 version (2), u64 last loader pid, u64 loads,
//                      u64 slot count, u64 slots in use
//   slots[SURGE_ALLOC_SLOTS] (256 bytes each): u64 pid of the process owning the slot (0: the
//                      shared overflow slot), u64 reserved, then for each function f in
//                      SurgeAllocFunction order: u64 calls, u64 bytes requested
//
// Each thread owns one slot (single writer, relaxed stores); threads beyond the slot count share
// the last slot with atomic adds. The harness sums all slots (or those of one pid).
//
// What is counted (the semantics of valgrind's "total heap usage"): every call the program makes
// to the malloc family, not the calls glibc makes to itself inside one (posix_memalign calling
// malloc). realloc(NULL, n) is an allocation; realloc(p, 0) with p != NULL frees p and allocates
// nothing (glibc returns NULL); realloc(p, n > 0) is an allocation of n bytes and a free of p.
// free(NULL) is not counted.
#define SURGE_ALLOC_MAGIC 0x434c414547525553ULL /* "SURGEALC" little endian */
#define SURGE_ALLOC_VERSION 2
#define SURGE_ALLOC_SLOTS 1024
#define SURGE_ALLOC_FUNCTIONS 10
#define SURGE_ALLOC_HEADER_BYTES 64
#define SURGE_ALLOC_SLOT_BYTES 256
#define SURGE_ALLOC_SLOT_HEADER_WORDS 2
#define SURGE_ALLOC_FILE_BYTES (SURGE_ALLOC_HEADER_BYTES + SURGE_ALLOC_SLOTS * SURGE_ALLOC_SLOT_BYTES)

enum SurgeAllocFunction {
    SURGE_ALLOC_MALLOC = 0,
    SURGE_ALLOC_CALLOC = 1,
    SURGE_ALLOC_REALLOC = 2,          // realloc calls that allocate (n > 0, or p == NULL)
    SURGE_ALLOC_FREE = 3,             // free(p) with p != NULL
    SURGE_ALLOC_POSIX_MEMALIGN = 4,
    SURGE_ALLOC_ALIGNED_ALLOC = 5,
    SURGE_ALLOC_MEMALIGN = 6,
    SURGE_ALLOC_VALLOC = 7,
    SURGE_ALLOC_PVALLOC = 8,
    SURGE_ALLOC_REALLOC_FREE = 9,     // realloc calls that released a block (p != NULL)
};

#endif
