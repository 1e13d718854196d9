// libbcc's low-level BPF API (libbcc_bpf.so from libbpfcc-dev): map and program loading, attaching
// raw tracepoints and uprobes, and symbol resolution. Only libbcc_bpf is linked, not LLVM.
#include <bcc/libbpf.h>
#include <bcc/bcc_syms.h>
#include <bcc/bcc_proc.h>
