// Calibration fixture: a wrapper that execs its arguments with LD_PRELOAD removed from the
// environment (as some launchers and setuid helpers do). The wrapper itself loads the preload
// library; the program it runs does not.
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    unsetenv("LD_PRELOAD");
    execvp(argv[1], argv + 1);
    return 127;
}
