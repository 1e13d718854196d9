#ifndef SURGE_CFUZZDRIVER_H
#define SURGE_CFUZZDRIVER_H
#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer's driver with the given test callback (libFuzzer's own `main` is not linked:
/// SwiftPM points `main` at each executable's `<module>_main`, which calls this).
int surge_fuzz_run(int argc, char **argv, int (*test)(const uint8_t *data, size_t size));
#endif
