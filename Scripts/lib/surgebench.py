"""Shared pieces of the Scripts/bench-* commands: build surge, run a scenario, read medians.

Every figure printed by a bench script comes from a result file this module names, so it can be
traced and re-analysed (`surge compare`, benchstat on the .txt beside it).
"""
import glob
import json
import os
import statistics
import subprocess
import sys
import socket
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def build(config="release"):
    print(f"bench: building surge ({config})...", file=sys.stderr, flush=True)
    subprocess.run(["swift", "build", "-c", config, "--product", "surge"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run(["swift", "build", "-c", config, "--product", "SurgeAllocCounter"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return os.path.join(ROOT, ".build", config, "surge")


def existing(config="release"):
    path = os.path.join(ROOT, ".build", config, "surge")
    if not os.access(path, os.X_OK):
        sys.exit(f"bench: {path} is not built (drop --no-build)")
    return path


def run(surge, scenario, extra=(), out=None, quiet=False):
    """Runs `surge run` and returns (result dict, path of the result file).

    quiet: the run's own table goes to stderr instead of standard output.
    """
    out = out or tempfile.mkdtemp(prefix="surge-bench-")
    cmd = [surge, "run", scenario, "--out", out, *extra]
    print("bench: " + " ".join(cmd), file=sys.stderr, flush=True)
    proc = subprocess.run(cmd, cwd=ROOT, stdout=sys.stderr if quiet else None)
    files = sorted(glob.glob(os.path.join(out, "*.json")))
    if not files:
        sys.exit(f"bench: surge run wrote no result (exit {proc.returncode})")
    with open(files[-1]) as f:
        return json.load(f), files[-1]


def load(path):
    with open(path) as f:
        return json.load(f)


def params(cell):
    return {p["name"]: p["value"] for p in cell["parameters"]}


def median(cell, metric, pass_="speed"):
    values = [s["metrics"][metric] for s in cell["samples"] if s["pass"] == pass_ and metric in s["metrics"]]
    return statistics.median(values) if values else None


def cpu_share(cell):
    """Median fraction of one core the target used during the measured windows."""
    shares = []
    for s in cell["samples"]:
        m = s["metrics"]
        if s["pass"] == "speed" and "cpu-ns/op" in m and s["elapsedSeconds"] > 0:
            shares.append(m["cpu-ns/op"] * s["operations"] / (s["elapsedSeconds"] * 1e9))
    return statistics.median(shares) if shares else None


def si(v):
    if v is None:
        return "-"
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= scale:
            return f"{v / scale:.3g}{suffix}"
    return f"{v:.3g}"


def table(rows):
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, r in enumerate(rows):
        lines.append("  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if n == 0:
            lines.append("-" * len(lines[0]))
    return "\n".join(lines)


def compile_c(source, flags=()):
    """Compiles Scripts/SOURCE with cc -O2 into .build/ (again only when the source is newer)."""
    src = os.path.join(ROOT, "Scripts", source)
    out = os.path.join(ROOT, ".build", os.path.splitext(source)[0])
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(src):
        os.makedirs(os.path.dirname(out), exist_ok=True)
        subprocess.run(["cc", "-O2", "-Wall", "-o", out, src, *flags], check=True)
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"bench: nothing listens on 127.0.0.1:{port} after {timeout}s")


def load_note():
    with open("/proc/loadavg") as f:
        return "load average " + " ".join(f.read().split()[:3]) + f" on {os.cpu_count()} CPUs"


# Messages per natsbench run by payload: about 1-2 s of publishing on 2 cores.
NATSBENCH_MESSAGES = {16: 3_000_000, 128: 2_000_000, 1024: 500_000}


def natsbench(client, port, payload, subscribers=0):
    """One run of Scripts/natsbench.c: (msgs/s per subscriber, or published per second with none; '') or
    (None, its error text)."""
    out = subprocess.run([client, "-p", str(port), "-s", str(subscribers), "-z", str(payload),
                          "-n", str(NATSBENCH_MESSAGES[payload])], capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        return None, out.stderr.strip()
    r = json.loads(out.stdout)
    return (r["per_subscriber_rate"] if subscribers else r["publish_rate"]), ""
