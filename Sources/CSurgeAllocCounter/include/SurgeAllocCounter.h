#ifndef SURGE_ALLOC_COUNTER_H
#define SURGE_ALLOC_COUNTER_H
// LD_PRELOAD allocation counter. Surge builds this as libSurgeAllocCounter.so and injects it into
// targets it starts. The counters live in a shared file named by the environment variable
// SURGE_ALLOC_SHM (created and sized by the harness), laid out as:
//
//   header (64 bytes): u64 magic "SURGEALC", u64 version (1), u64 last loader pid, u64 loads,
//                      u64 slot count, u64 slots in use
//   slots[SURGE_ALLOC_SLOTS] (128 bytes each): for each function f in SurgeAllocFunction order,
//                      u64 calls, u64 bytes requested
//
// Each thread owns one slot (single writer, relaxed stores); threads beyond the slot count share
// the last slot with atomic adds. The harness sums all slots.
#define SURGE_ALLOC_MAGIC 0x434c414547525553ULL /* "SURGEALC" little endian */
#define SURGE_ALLOC_VERSION 1
#define SURGE_ALLOC_SLOTS 256
#define SURGE_ALLOC_FUNCTIONS 8
#define SURGE_ALLOC_HEADER_BYTES 64
#define SURGE_ALLOC_SLOT_BYTES 128
#define SURGE_ALLOC_FILE_BYTES (SURGE_ALLOC_HEADER_BYTES + SURGE_ALLOC_SLOTS * SURGE_ALLOC_SLOT_BYTES)

enum SurgeAllocFunction {
    SURGE_ALLOC_MALLOC = 0,
    SURGE_ALLOC_CALLOC = 1,
    SURGE_ALLOC_REALLOC = 2,
    SURGE_ALLOC_FREE = 3,
    SURGE_ALLOC_POSIX_MEMALIGN = 4,
    SURGE_ALLOC_ALIGNED_ALLOC = 5,
    SURGE_ALLOC_MEMALIGN = 6,
    SURGE_ALLOC_VALLOC = 7,
};

#endif
