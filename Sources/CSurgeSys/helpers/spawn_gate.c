// surge-spawn-gate: the small process `surge probe -- command` forks the command from, so the
// command starts with nothing of Surge in it. A child forked from Surge itself carries a copy of
// Surge's pages until it execs, and the kernel keeps that copy's high-water mark in the process's
// ru_maxrss and its teardown in its CPU time; forked from this tiny static program instead, the
// command's peak RSS and CPU are its own. Built by Surge with cc on first need (SpawnGateHelper).
//
//   surge-spawn-gate READY_FD GATE_FD REPORT_FD PATH ARG0 ARGS...   (environment: the command's)
//
// Forks the command's process, which writes its pid (4 bytes) to READY_FD, blocks reading GATE_FD
// and then execs PATH (execvpe). Once the command has exited (not yet reaped), writes 'x' to the
// REPORT_FD socket and waits for one byte back; then reaps it and writes its wait status (int) and
// struct rusage to REPORT_FD, and exits. The descriptors are close-on-exec in the command.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int write_all(int fd, const void *data, size_t size) {
    const char *p = data;
    while (size > 0) {
        ssize_t n = write(fd, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        p += n;
        size -= (size_t)n;
    }
    return 0;
}

int main(int argc, char **argv, char **envp) {
    if (argc < 6) return 126;
    int ready = atoi(argv[1]), gate = atoi(argv[2]), report = atoi(argv[3]);
    for (int fd = 3; fd < 1024; fd++) {
        if (fd == ready || fd == gate || fd == report) fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    // Ctrl-C reaches the whole process group: the command decides what to do; this one must live
    // to report. (The command gets default dispositions back below.)
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    pid_t pid = fork();
    if (pid < 0) return 126;
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        close(report);
        pid_t self = getpid();
        if (write_all(ready, &self, sizeof self) != 0) _exit(126);
        char byte;
        while (read(gate, &byte, 1) < 0 && errno == EINTR) {}
        execvpe(argv[4], argv + 5, envp);
        _exit(127);
    }
    close(ready);
    close(gate);
    siginfo_t info;
    while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {}
    char byte = 'x';
    write_all(report, &byte, 1);
    while (read(report, &byte, 1) < 0 && errno == EINTR) {}
    int status = 0;
    struct rusage usage;
    while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {}
    write_all(report, &status, sizeof status);
    write_all(report, &usage, sizeof usage);
    return 0;
}
