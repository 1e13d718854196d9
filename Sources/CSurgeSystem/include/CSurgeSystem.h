// Linux calls Swift's Glibc module does not export (they need _GNU_SOURCE).
#ifndef CSURGE_SYSTEM_H
#define CSURGE_SYSTEM_H
#include <stdint.h>

/// sched_setaffinity(tid, mask of cpus[0..<count]); 0 or -1 with errno.
int csurge_set_affinity(int tid, const int *cpus, int count);
/// Saves the calling thread's mask into an opaque 128-byte buffer; 0 or -1.
int csurge_get_affinity(void *saved, int saved_size);
/// Restores a mask saved by csurge_get_affinity; 0 or -1.
int csurge_restore_affinity(const void *saved, int saved_size);
/// pipe2(fds, O_CLOEXEC).
int csurge_pipe_cloexec(int fds[2]);

#endif
