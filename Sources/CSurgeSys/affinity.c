#define _GNU_SOURCE
#include "CSurgeSys.h"
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <errno.h>

int csurge_set_affinity(int tid, const int *cpus, int count) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int i = 0; i < count; i++) {
        if (cpus[i] < 0 || cpus[i] >= CPU_SETSIZE) { errno = EINVAL; return -1; }
        CPU_SET(cpus[i], &set);
    }
    return sched_setaffinity(tid, sizeof(set), &set);
}

int csurge_get_affinity(void *saved, int saved_size) {
    if (saved_size < (int)sizeof(cpu_set_t)) { errno = EINVAL; return -1; }
    return sched_getaffinity(0, sizeof(cpu_set_t), (cpu_set_t *)saved);
}

int csurge_restore_affinity(const void *saved, int saved_size) {
    if (saved_size < (int)sizeof(cpu_set_t)) { errno = EINVAL; return -1; }
    return sched_setaffinity(0, sizeof(cpu_set_t), (const cpu_set_t *)saved);
}

int csurge_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}
