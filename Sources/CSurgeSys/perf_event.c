#define _GNU_SOURCE
#include "CSurgeSys.h"
#include <linux/perf_event.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int surge_perf_counter_open(uint32_t type, uint64_t config, int32_t pid, int inherit) {
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.type = type;
    attr.config = config;
    attr.inherit = inherit ? 1 : 0;
    attr.inherit_thread = inherit == 2 ? 1 : 0;
    attr.disabled = 0;
    return (int)syscall(SYS_perf_event_open, &attr, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

int surge_perf_set_filter(int fd, const char *filter) {
    return ioctl(fd, PERF_EVENT_IOC_SET_FILTER, filter);
}

int surge_perf_read(int fd, uint64_t *value) {
    ssize_t n = read(fd, value, sizeof *value);
    return n == (ssize_t)sizeof *value ? 0 : -1;
}
