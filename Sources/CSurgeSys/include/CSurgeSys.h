#ifndef CSURGESYS_H
#define CSURGESYS_H
// Thin wrappers for kernel interfaces Swift cannot call directly (variadic syscall/ioctl) and a
// fork/exec that holds the child before exec until the harness has attached its probes.
#include <stdint.h>
#include <sys/types.h>
#include <sys/resource.h>

/// Opens a counting perf event (no sampling) on `pid` (a thread id), any CPU.
/// `type`/`config` as in perf_event_attr; `inherit` 1 counts threads and child processes the
/// thread creates later, 2 threads only (inherit_thread, Linux 5.13+), 0 neither.
/// Returns the fd or -1 with errno set.
int surge_perf_counter_open(uint32_t type, uint64_t config, int32_t pid, int inherit);

/// PERF_EVENT_IOC_SET_FILTER with a tracepoint filter expression such as "id == 1".
int surge_perf_set_filter(int fd, const char *filter);

/// Reads the 64-bit count of a counting perf event. Returns 0 on success, -1 with errno.
int surge_perf_read(int fd, uint64_t *value);

/// Forks a child that waits until `surge_gate_release` is called, then execs `path` (searched in
/// PATH when it has no slash) with `argv` and `envp`. Returns the child pid (or -1 with errno);
/// `*gate_fd` receives the write end of the gate pipe. If exec fails, the child exits with 127.
/// Returns once the child has done its pre-exec work (signal dispositions reset) and is blocked on
/// the gate, so counters attached afterwards count from its execve on. `stdio` (NULL, or three
/// descriptors, -1 to inherit) become the child's standard input, output and error; `directory`
/// (NULL to inherit) its working directory. If either cannot be set, the child exits with 127.
pid_t surge_spawn_gated(const char *path, char *const argv[], char *const envp[], const int stdio[3],
                        const char *directory, int *gate_fd);

/// Like surge_spawn_gated, but the command is forked from `helper` (surge-spawn-gate, a tiny
/// static program started as this process's child; see helpers/spawn_gate.c) so nothing of Surge
/// is in its peak RSS or CPU. Returns the command's pid; `*report_fd` is the socket on which the
/// helper reports its exit, `*helper_pid` the helper (this process's child). `stdio` and
/// `directory` as for surge_spawn_gated (set in the helper, which the command inherits them from).
pid_t surge_spawn_via_helper(const char *helper, const char *path, char *const argv[], char *const envp[],
                             const int stdio[3], const char *directory,
                             int *gate_fd, int *report_fd, pid_t *helper_pid);

/// 1 once the helper reported the command's exit (it is then a zombie, /proc still readable),
/// 0 if not yet (`wait` 0), -1 on error. With `wait` 1, blocks until it does.
int surge_helper_report_exit(int report_fd, int wait);

/// Lets the helper reap the command; receives its wait status and rusage, then reaps the helper.
int surge_helper_reap(int report_fd, pid_t helper_pid, int *status, struct rusage *usage);

/// Lets a gated child continue to exec; closes the gate.
int surge_gate_release(int gate_fd);

/// Waits until the child has exited without reaping it (waitid WNOWAIT): its /proc entries stay
/// readable until it is reaped. Returns 0 or -1 with errno.
int surge_wait_exited(pid_t pid);

/// 1 when the child has exited (not reaped: WNOWAIT), 0 while it runs, -1 with errno.
int surge_has_exited(pid_t pid);

/// waitpid + rusage of the reaped child (wait4). Returns the pid or -1 with errno.
pid_t surge_wait4(pid_t pid, int *status, struct rusage *usage);

/// Installs SIGINT/SIGTERM handlers that record the signal (read with surge_interrupt_signal) and,
/// for SIGTERM, send SIGTERM to `forward_term_to` when it is > 0. Syscalls restart (SA_RESTART).
void surge_catch_interrupts(pid_t forward_term_to);

/// The last SIGINT/SIGTERM caught since surge_catch_interrupts, or 0.
int surge_interrupt_signal(void);

/// Restores the default SIGINT/SIGTERM actions.
void surge_restore_interrupts(void);


/// sched_setaffinity(tid, mask of cpus[0..<count]); 0 or -1 with errno.
int csurge_set_affinity(int tid, const int *cpus, int count);
/// Saves the calling thread's mask into an opaque 128-byte buffer; 0 or -1.
int csurge_get_affinity(void *saved, int saved_size);
/// Restores a mask saved by csurge_get_affinity; 0 or -1.
int csurge_restore_affinity(const void *saved, int saved_size);
/// pipe2(fds, O_CLOEXEC).
int csurge_pipe_cloexec(int fds[2]);
#endif
