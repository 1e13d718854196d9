#define _GNU_SOURCE
#include "CSurgeSys.h"
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t raised_signal;
static volatile pid_t forward_pid;

static void on_interrupt(int sig) {
    raised_signal = sig;
    if (sig == SIGTERM && forward_pid > 0) kill(forward_pid, SIGTERM);
}

void surge_catch_interrupts(pid_t forward_term_to) {
    forward_pid = forward_term_to;
    raised_signal = 0;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_interrupt;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
}

int surge_interrupt_signal(void) { return raised_signal; }

void surge_restore_interrupts(void) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    forward_pid = 0;
}
