"""Shared process handling for Scripts/bench-http-vs-nginx and Scripts/bench-loadgen-vs-wrk.

Starts the built-in server (`surge-http-bench --serve`) and nginx (configuration written by
`surge-http-bench --prepare-nginx`, i.e. Surge's NginxTarget), runs Surge's closed-loop driver and
wrk, and parses their figures. Everything binds to 127.0.0.1.
"""
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from surgebench import free_port, load_note, wait_for_port  # noqa: E402,F401

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".build", "release", "surge-http-bench")


def build():
    print("building surge-http-bench (release)...", file=sys.stderr)
    subprocess.run(["swift", "build", "-c", "release", "--product", "surge-http-bench"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)


def pinned(cmd, cpu):
    """Prefix with taskset when pinning was asked for and is possible."""
    if cpu is None or shutil.which("taskset") is None:
        return cmd
    return ["taskset", "-c", str(cpu)] + cmd


class Servers:
    """The processes a benchmark started; stopped (and nginx's directory removed) on exit."""

    def __init__(self):
        self.procs = []
        self.dirs = []

    def builtin(self, cpu, options):
        proc = subprocess.Popen(pinned([BIN, "--serve", "--port", "0"] + options, cpu), stdout=subprocess.PIPE, text=True)
        self.procs.append(proc)
        line = proc.stdout.readline()
        try:
            ready = json.loads(line)
        except json.JSONDecodeError:
            raise SystemExit(f"built-in server did not print its ready line, printed {line!r}")
        return ready["port"]

    def nginx(self, cpu, workers=1):
        if not any(os.access(p, os.X_OK) for p in ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]):
            raise SystemExit("nginx is not installed (Debian package nginx-light)")
        port = free_port()
        out = subprocess.run([BIN, "--prepare-nginx", "--port", str(port), "--workers", str(workers)],
                             check=True, capture_output=True, text=True).stdout
        target = json.loads(out)
        self.dirs.append(target["directory"])
        proc = subprocess.Popen(pinned(target["argv"], cpu))
        self.procs.append(proc)
        wait_for_port(port)
        return port

    def stop(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGQUIT if "nginx" in " ".join(map(str, proc.args)) else signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)


def surge_driver(port, connections, duration, cpu, threads=1, pipeline=1, path="/plaintext", warmup="1s"):
    cmd = [BIN, "--port", str(port), "--connections", str(connections), "--duration", duration,
           "--threads", str(threads), "--pipeline", str(pipeline), "--path", path, "--warmup", warmup]
    out = subprocess.run(pinned(cmd, cpu), check=True, capture_output=True, text=True).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    if figures.get("errors", 0):
        print(f"warning: surge driver saw errors: {figures['failures']}", file=sys.stderr)
    return {"req/s": figures["req/s"], "p50-ms": figures["p50-ns"] / 1e6, "p99-ms": figures["p99-ns"] / 1e6,
            "errors": figures.get("errors", 0)}


def _ms(text):
    value = float(re.match(r"([\d.]+)", text).group(1))
    if text.endswith("us"):
        return value / 1000
    if text.endswith("ms"):
        return value
    if text.endswith("s"):
        return value * 1000
    return value


def wrk(port, connections, duration, cpu, threads=1, path="/plaintext", warmup="1s"):
    url = f"http://127.0.0.1:{port}{path}"
    if warmup and warmup != "0":
        subprocess.run(pinned(["wrk", f"-t{threads}", f"-c{connections}", f"-d{warmup}", url], cpu), check=True,
                       capture_output=True)
    out = subprocess.run(pinned(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}", "--latency", url], cpu),
                         check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out)
    return {"req/s": rps, "p50-ms": p50, "p99-ms": p99, "errors": errors.group(0) if errors else 0}


def median_of(samples, key):
    return statistics.median(s[key] for s in samples)
