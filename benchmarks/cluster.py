#!/usr/bin/env python3
"""segql in one process against segql on a loopback Ballista cluster (one scheduler, two
executors, all on this machine), on the same generated Parquet files: `rfm()` and the whole job
`kmeans_fit(rfm(file), 3)`. The machine is the same, so the point is the cluster's overhead and
that the answers agree, not a speed-up.

Each query runs as its own `segql` process (one warm-up, then the median of --repeat runs),
alternating one process and the cluster. The cluster's executors each run one task at a time
(two cores), the client plans with two partitions like the one process. "Shuffle bytes" is the
largest total size of the executors' work directories seen while the query ran (sampled every
10 ms; Ballista keeps a job's intermediate shuffle files until the job ends, so this is what the
job wrote); "executor RSS" is the executors' peak resident memory (VmHWM) summed. Run after
`cargo build --profile dist --features ballista --bin segql`:

    python3 benchmarks/cluster.py --rows 10000000 100000000 --repeat 3
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEGQL = ROOT / "target" / "dist" / "segql"
DATA = ROOT / "benchmarks" / ".data"

QUERIES = {
    "rfm()": "SELECT count(*), sum(recency_days), sum(frequency), round(sum(monetary), 2) FROM rfm('{path}')",
    "whole job": "SELECT round(sum(sse), 6), sum(size) FROM kmeans_fit(rfm('{path}'), 3)",
}


def generate(rows):
    path = DATA / f"tx_{rows}.parquet"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(SEGQL), "generate", "--rows", str(rows), "--out", str(path)], check=True)
    return path


def dir_bytes(dirs):
    total = 0
    for d in dirs:
        for root, _, files in os.walk(d):
            for f in files:
                try:
                    total += os.path.getsize(os.path.join(root, f))
                except OSError:
                    pass
    return total


class Cluster:
    """A scheduler and two executors of the dist binary on 127.0.0.1."""

    def __init__(self, models):
        self.dir = Path(tempfile.mkdtemp(prefix="segql-cluster-"))
        self.work = [self.dir / "work0", self.dir / "work1"]
        scheduler = subprocess.Popen([str(SEGQL), "scheduler", "--port", "0", "--models", models],
                                     stderr=subprocess.PIPE, text=True)
        banner = scheduler.stderr.readline()
        port = re.search(r"127\.0\.0\.1:(\d+)", banner).group(1)
        self.address = f"df://127.0.0.1:{port}"
        self.children = [scheduler]
        for i, w in enumerate(self.work):
            w.mkdir()
            self.children.append(subprocess.Popen(
                [str(SEGQL), "executor", "--scheduler", f"127.0.0.1:{port}",
                 "--port", str(52000 + 10 * i), "--grpc-port", str(52001 + 10 * i),
                 "--concurrent-tasks", "1", "--work-dir", str(w), "--models", models]))
        time.sleep(3)

    def executor_rss_mib(self):
        total = 0
        for child in self.children[1:]:
            for line in open(f"/proc/{child.pid}/status"):
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        return total / 1024

    def close(self):
        for child in self.children:
            child.terminate()
            child.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def run(command, work=None):
    """Wall time, peak RSS of the client process, its stdout, the peak shuffle bytes."""
    peak = [0]
    done = threading.Event()
    base = dir_bytes(work) if work else 0

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], dir_bytes(work) - base)
            time.sleep(0.01)

    watcher = threading.Thread(target=watch) if work else None
    if watcher:
        watcher.start()
    began = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = child.communicate()
    took = time.perf_counter() - began
    done.set()
    if watcher:
        watcher.join()
    if child.returncode != 0:
        raise RuntimeError(f"{command} failed: {err}")
    return took, out.strip().splitlines()[-1], peak[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000_000, 100_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    models = tempfile.mkdtemp(prefix="segql-models-")
    cluster = Cluster(models)
    rows_out = []
    try:
        for rows in args.rows:
            path = generate(rows)
            for task, template in QUERIES.items():
                sql = template.format(path=path)
                local = [str(SEGQL), "-q", "--format", "csv", "--models", models, "-c", sql]
                remote = local + ["--cluster", cluster.address]
                times = {"one process": [], "cluster": []}
                answers, shuffle = {}, 0
                for i in range(args.repeat + 1):
                    t, answer, _ = run(local)
                    answers["one process"] = answer
                    if i:
                        times["one process"].append(t)
                    t, answer, peak = run(remote, cluster.work)
                    answers["cluster"] = answer
                    shuffle = max(shuffle, peak)
                    if i:
                        times["cluster"].append(t)
                same = answers["one process"] == answers["cluster"]
                one = statistics.median(times["one process"])
                many = statistics.median(times["cluster"])
                row = (f"| {task} | {rows:,} | {one:.2f} s | {many:.2f} s | {many / one:.2f} | "
                       f"{shuffle / 2**20:.0f} MiB | {cluster.executor_rss_mib():.0f} MiB | "
                       f"{'yes' if same else 'NO'} |")
                print(row, flush=True)
                if not same:
                    print(f"  one process: {answers['one process']}\n  cluster: {answers['cluster']}",
                          file=sys.stderr)
                rows_out.append(row)
    finally:
        cluster.close()
        shutil.rmtree(models, ignore_errors=True)
    print("\n| job | rows | one process | loopback cluster (2 executors) | cluster / one process "
          "| shuffle bytes | executor RSS | same answer |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    print("\n".join(rows_out))


if __name__ == "__main__":
    main()
