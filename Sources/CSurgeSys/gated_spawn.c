#define _GNU_SOURCE
#include "CSurgeSys.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

pid_t surge_spawn_gated(const char *path, char *const argv[], char *const envp[], int *gate_fd) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
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
        char byte;
        close(fds[1]);
        while (read(fds[0], &byte, 1) < 0 && errno == EINTR) {}
        close(fds[0]);
        execvpe(path, argv, envp);
        _exit(127);
    }
    close(fds[0]);
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

int surge_wait_exited(pid_t pid) {
    siginfo_t info;
    int r;
    do { r = waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT); } while (r < 0 && errno == EINTR);
    return r;
}
