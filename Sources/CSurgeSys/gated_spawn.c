#define _GNU_SOURCE
#include "CSurgeSys.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// Waits (up to ~200 ms) until `pid` sleeps, i.e. has entered its blocking read of the gate: its
// pre-exec work is then done, and counters attached from now on see nothing of it.
static void wait_until_blocked(pid_t pid) {
    char path[64], text[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    for (int attempt = 0; attempt < 2000; attempt++) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) return;
        ssize_t n = read(fd, text, sizeof text - 1);
        close(fd);
        if (n <= 0) return;
        text[n] = 0;
        const char *paren = strrchr(text, ')');
        if (!paren || paren[1] == 0 || paren[2] != 'R') return;   // S (the gate), or Z/D/...: stop looking
        struct timespec pause = { 0, 100000 };
        nanosleep(&pause, NULL);
    }
}

static void reset_signals_in_child(void) {
    struct { void (*handler)(int); unsigned long flags; void (*restorer)(void); unsigned long mask; } dfl = { SIG_DFL, 0, 0, 0 };
    for (int sig = 1; sig <= 64; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) syscall(SYS_rt_sigaction, sig, &dfl, NULL, 8);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

// In a forked child before exec: puts `stdio[i]` (when >= 0) on descriptor i and enters
// `directory` (when non-NULL). Returns -1 when either fails.
static int redirect_in_child(const int stdio[3], const char *directory) {
    for (int i = 0; stdio && i < 3; i++) {
        if (stdio[i] >= 0 && stdio[i] != i && dup2(stdio[i], i) < 0) return -1;
    }
    if (directory && chdir(directory) != 0) return -1;
    return 0;
}

static int read_all(int fd, void *data, size_t size) {
    char *p = data;
    while (size > 0) {
        ssize_t n = read(fd, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        p += n;
        size -= (size_t)n;
    }
    return 0;
}

pid_t surge_spawn_via_helper(const char *helper, const char *path, char *const argv[], char *const envp[],
                             const int stdio[3], const char *directory,
                             int *gate_fd, int *report_fd, pid_t *helper_pid) {
    int gate[2], ready[2], report[2];
    if (pipe2(gate, O_CLOEXEC) != 0) return -1;
    if (pipe2(ready, O_CLOEXEC) != 0) { close(gate[0]); close(gate[1]); return -1; }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, report) != 0) {
        close(gate[0]); close(gate[1]); close(ready[0]); close(ready[1]);
        return -1;
    }
    int count = 0;
    while (argv[count]) count++;
    char numbers[3][16];
    snprintf(numbers[0], sizeof numbers[0], "%d", ready[1]);
    snprintf(numbers[1], sizeof numbers[1], "%d", gate[0]);
    snprintf(numbers[2], sizeof numbers[2], "%d", report[1]);
    char **helper_argv = calloc((size_t)count + 6, sizeof(char *));
    if (!helper_argv) return -1;
    helper_argv[0] = (char *)helper;
    helper_argv[1] = numbers[0];
    helper_argv[2] = numbers[1];
    helper_argv[3] = numbers[2];
    helper_argv[4] = (char *)path;
    for (int i = 0; i < count; i++) helper_argv[5 + i] = argv[i];
    pid_t pid = fork();
    if (pid == 0) {
        reset_signals_in_child();
        fcntl(ready[1], F_SETFD, 0);
        fcntl(gate[0], F_SETFD, 0);
        fcntl(report[1], F_SETFD, 0);
        if (redirect_in_child(stdio, directory) != 0) _exit(127);
        execve(helper, helper_argv, envp);
        _exit(127);
    }
    int e = errno;
    free(helper_argv);
    close(ready[1]);
    close(gate[0]);
    close(report[1]);
    pid_t command = -1;
    if (pid < 0 || read_all(ready[0], &command, sizeof command) != 0) {
        close(ready[0]); close(gate[1]); close(report[0]);
        if (pid > 0) { int status; waitpid(pid, &status, 0); e = ECHILD; }
        errno = e;
        return -1;
    }
    close(ready[0]);
    wait_until_blocked(command);
    *gate_fd = gate[1];
    *report_fd = report[0];
    *helper_pid = pid;
    return command;
}

int surge_helper_report_exit(int report_fd, int wait) {
    char byte;
    ssize_t n;
    do { n = recv(report_fd, &byte, 1, wait ? 0 : MSG_DONTWAIT | MSG_PEEK); } while (n < 0 && errno == EINTR);
    if (n == 1) return 1;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    return -1;
}

int surge_helper_reap(int report_fd, pid_t helper_pid, int *status, struct rusage *usage) {
    char byte = 'k';
    ssize_t n;
    do { n = write(report_fd, &byte, 1); } while (n < 0 && errno == EINTR);
    int ok = n == 1 && read_all(report_fd, status, sizeof *status) == 0 && read_all(report_fd, usage, sizeof *usage) == 0;
    int helper_status;
    while (waitpid(helper_pid, &helper_status, 0) < 0 && errno == EINTR) {}
    close(report_fd);
    if (!ok) { errno = EPIPE; return -1; }
    return 0;
}

pid_t surge_spawn_gated(const char *path, char *const argv[], char *const envp[], const int stdio[3],
                        const char *directory, int *gate_fd) {
    int fds[2], ready[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return -1;
    if (pipe2(ready, O_CLOEXEC) != 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        errno = e;
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        close(ready[0]);
        close(ready[1]);
        errno = e;
        return -1;
    }
    if (pid == 0) {
        // Child: only async-signal-safe calls until exec. The forking thread may block most
        // signals (Swift's worker threads do) and the process may ignore SIGPIPE: the command
        // starts with an empty mask and default dispositions, as a shell would start it.
        // Raw rt_sigaction: glibc's signal() refuses its internal real-time signals (32, 33),
        // which a parent may also ignore.
        struct { void (*handler)(int); unsigned long flags; void (*restorer)(void); unsigned long mask; } dfl = { SIG_DFL, 0, 0, 0 };
        for (int sig = 1; sig <= 64; sig++) {
            if (sig != SIGKILL && sig != SIGSTOP) syscall(SYS_rt_sigaction, sig, &dfl, NULL, 8);
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (redirect_in_child(stdio, directory) != 0) _exit(127);
        // Tell the parent the pre-exec work is done, then block on the gate. Counting starts at
        // the exec: the parent attaches only once this read is blocked, and the read end is
        // close-on-exec, so nothing but execve follows it.
        char byte = 'r';
        close(fds[1]);
        close(ready[0]);
        (void)!write(ready[1], &byte, 1);
        while (read(fds[0], &byte, 1) < 0 && errno == EINTR) {}
        execvpe(path, argv, envp);
        _exit(127);
    }
    close(fds[0]);
    close(ready[1]);
    char byte;
    while (read(ready[0], &byte, 1) < 0 && errno == EINTR) {}
    close(ready[0]);
    wait_until_blocked(pid);
    *gate_fd = fds[1];
    return pid;
}

int surge_gate_release(int gate_fd) {
    char byte = 'g';
    ssize_t n = write(gate_fd, &byte, 1);
    close(gate_fd);
    return n == 1 ? 0 : -1;
}

pid_t surge_wait4(pid_t pid, int *status, struct rusage *usage) {
    pid_t r;
    do { r = wait4(pid, status, 0, usage); } while (r < 0 && errno == EINTR);
    return r;
}

int surge_has_exited(pid_t pid) {
    siginfo_t info;
    info.si_pid = 0;
    int r;
    do { r = waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT | WNOHANG); } while (r < 0 && errno == EINTR);
    if (r < 0) return -1;
    return info.si_pid == pid ? 1 : 0;
}

int surge_wait_exited(pid_t pid) {
    siginfo_t info;
    int r;
    do { r = waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT); } while (r < 0 && errno == EINTR);
    return r;
}
