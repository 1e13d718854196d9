#!/usr/bin/env bash
# Measures what each SurgeProbes method costs per event on this machine: the calibration target
# times N getppid() calls (syscall methods), N malloc(64)+free pairs (allocation methods) and N
# round trips between two of its threads (2N context switches: the BPF and perf counters),
# with and without the probe attached, R times each; prints the median ns per event and the
# difference. The BPF syscall program runs for every process on the machine, so it is also timed on
# a process outside the measured tree. Multiply by a cell's events per op (syscalls/op, allocs/op,
# ctxsw/op in its result file) for what the probes add to that cell's cpu-ns/op.
# Times are the calling thread's CPU time (user + system: the probes run in the target's context),
# so other processes preempting the target do not inflate them.
#
#   Scripts/probe-overhead.sh [N] [R]      (root; builds what it needs)
#
# The target (surge-calibrate) is built in release mode; the preload library is the one `surge`
# builds for itself; the attaching `surge` may be a debug build (its speed does not enter the
# figures). Set SURGE to override.
set -euo pipefail
N=${1:-1000000}
R=${2:-7}
cd "$(dirname "$0")/.."
swift build -c release --product surge-calibrate >/dev/null
CAL=$(swift build -c release --show-bin-path)/surge-calibrate
SURGE=${SURGE:-$(swift build --show-bin-path)/surge}
[ -x "$SURGE" ] || swift build --product surge >/dev/null
LOG=$(mktemp -d)
trap 'rm -rf "$LOG"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# times COMMAND: sends "COMMAND N" R times to the running coprocess, prints the median ns/call
# (coprocess fds are not available in subshells: the loop runs in this shell)
times() {
    local values="" answer ns
    for _ in $(seq "$R"); do
        echo "$1 $N" >&"${T[1]}"
        read -r -u "${T[0]}" answer ns
        [ "$answer" = done ] || { echo "calibration target said: $answer $ns" >&2; exit 1; }
        values+="$(awk -v ns="$ns" -v n="$N" 'BEGIN {printf "%.1f", ns / n}')"$'\n'
    done
    printf "%s" "$values" | median
}

start_target() {  # start_target [surge probe options...]  (no options: plain target)
    if [ $# -eq 0 ]; then
        coproc T { exec "$CAL"; }
    else
        coproc T { exec "$SURGE" probe "$@" -- "$CAL" 2>"$LOG/probe.err"; }
    fi
    read -r -u "${T[0]}" ready pid
    [ "$ready" = ready ] || { echo "target did not start" >&2; exit 1; }
}

stop_target() {
    local out=${T[0]} pid=$T_PID
    echo quit >&"${T[1]}"
    cat <&"$out" >"$LOG/probe.out" || true
    wait "$pid" 2>/dev/null || true
}

attach() {  # attach METHOD-OPTIONS...: surge probe --pid on the running target, waits until attached
    "$SURGE" probe --pid "$pid" --duration 10m "$@" >"$LOG/attach.out" 2>"$LOG/attach.err" &
    PROBE=$!
    for _ in $(seq 200); do grep -q attached "$LOG/attach.err" 2>/dev/null && return; sleep 0.05; done
    echo "surge probe did not attach:" >&2; cat "$LOG/attach.err" >&2; exit 1
}

detach() { kill -INT "$PROBE"; wait "$PROBE" || true; }

row() { awk -v a="$1" -v b="$2" -v c="$3" 'BEGIN {printf "%-34s %10.1f %10.1f %+10.1f\n", a, b, c, c - b}'; }

echo "N=$N calls per timing, median of R=$R timings; ns per call"
printf "%-34s %10s %10s %10s\n" "method" "without" "with" "cost"

start_target
base=$(times bench-getppid)
for m in bpf perf: perf; do   # perf: = total only; perf = total + 4 syscalls by name
    attach --probes syscalls --method syscalls=$m
    with=$(times bench-getppid)
    detach
    row "syscalls=$m (getppid)" "$base" "$with"
done
# The BPF program on a process outside the measured tree: attach to a sleeping stranger.
sleep 600 & STRANGER=$!
"$SURGE" probe --pid "$STRANGER" --duration 10m --probes syscalls --method syscalls=bpf \
    >"$LOG/attach.out" 2>"$LOG/attach.err" &
PROBE=$!
for _ in $(seq 200); do grep -q attached "$LOG/attach.err" 2>/dev/null && break; sleep 0.05; done
grep -q attached "$LOG/attach.err" || { echo "surge probe did not attach:" >&2; cat "$LOG/attach.err" >&2; exit 1; }
with=$(times bench-getppid)
detach
kill "$STRANGER"
row "syscalls=bpf, other process" "$base" "$with"
attach --probes syscall-latency
with=$(times bench-getppid)
detach
row "syscall-latency (getppid)" "$base" "$with"

# Context switches: per switch, half a round trip.
N_TRIPS=$N; N=$((N / 10))
half() { awk -v t="$1" 'BEGIN {printf "%.1f", t / 2}'; }
times bench-switch >"$LOG/trip"
sbase=$(half "$(cat "$LOG/trip")")
for m in bpf perf; do
    attach --probes context-switches --method context-switches=$m
    times bench-switch >"$LOG/trip"
    with=$(half "$(cat "$LOG/trip")")
    detach
    row "context-switches=$m (per switch)" "$sbase" "$with"
done
N=$N_TRIPS
mbase=$(times bench-malloc)
attach --probes allocations --method allocations=uprobe
with=$(times bench-malloc)
detach
row "allocations=uprobe (malloc+free)" "$mbase" "$with"
stop_target

start_target --probes allocations --json
with=$(times bench-malloc)
stop_target
row "allocations=preload (malloc+free)" "$mbase" "$with"
counted=$(grep -E '"allocs.malloc" : [0-9]' "$LOG/probe.out" | tr -dc '0-9')
[ -n "$counted" ] || { echo "preload run reported no mallocs:" >&2; cat "$LOG/probe.out" "$LOG/probe.err" >&2; exit 1; }
echo "(the preload library counted $counted malloc calls in that run; expected at least $((N * R)))"
