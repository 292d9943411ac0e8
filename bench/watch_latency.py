#!/usr/bin/python3
"""Watch (the change feed): event latency and memory per subscriber of a real sidecard.

    PYTHONPATH=<build>/python bench/watch_latency.py [--sidecard BIN] [--tree DIR]
        [--writes N] [--subscribers N] [--json]

Copies TREE (default: the 5k corpus, /work/bench-corpus/images-5000-seed-1, if it exists,
else a small generated tree) as hard links into a temporary directory (nothing in TREE is
written), starts SIDECARD on a socket there with the copy as its allowed root, and measures:

  - watch_start_s: the first Watch of the whole tree until its `started` message (the daemon
    adds an inotify watch to every directory and lists each once);
  - latency: N times (default 200), a new sidecar written beside its image in a scratch
    directory of the tree (open, write, close) until its `created` event reaches a Python
    client: median, p99 and max, in milliseconds;
  - memory: the daemon's VmRSS with 0 subscribers (after the tree was watched once: its
    watches stay for the daemon's life) and with N idle subscribers (default 100) of the
    whole tree on one channel, and the difference per subscriber.

The daemon runs with --max-concurrent-calls N + 16: each Watch stream holds one call slot (and
one of the gRPC server's threads) for as long as it runs. Prints a table, or JSON with --json.
"""

import argparse
import json
import os
import queue
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

import grpc

from sidecard._gen.sidecar.v1 import sidecar_pb2, sidecar_pb2_grpc

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = "/work/bench-corpus/images-5000-seed-1"
DOCUMENT = {"face_detection": {"insightface": {"faces": [{"face_id": 0}], "success": True}},
            "sidecar_info": {"operation_type": "face_detection"}}


def small_tree(root):
    """Two folders of 50 images, each with a .bin sidecar."""
    body = json.dumps(DOCUMENT, sort_keys=True, separators=(",", ":")).encode()
    for folder in ("game-1", "game-2"):
        os.makedirs(os.path.join(root, folder))
        for i in range(50):
            stem = os.path.join(root, folder, f"IMG_{i:04d}")
            with open(stem + ".jpg", "wb") as f:
                f.write(b"\xff\xd8\xff\xd9")
            with open(stem + ".bin", "wb") as f:
                f.write(struct.pack("<Q", len(body)) + body)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class Daemon:
    def __init__(self, binary, root, max_calls, workdir):
        self.address = "unix:" + os.path.join(workdir, "sock")
        self.log = open(os.path.join(workdir, "sidecard.log"), "wb")
        self.process = subprocess.Popen(
            [binary, "--allowed-root", root, "--listen", self.address, "--log-level", "warn",
             "--max-concurrent-calls", str(max_calls)],
            stdout=self.log, stderr=self.log)
        self.channel = grpc.insecure_channel(self.address)
        grpc.channel_ready_future(self.channel).result(timeout=15)
        self.stub = sidecar_pb2_grpc.SidecarServiceStub(self.channel)

    def stop(self):
        self.channel.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def watch(stub, root):
    """Starts a Watch of `root`; returns the call once its `started` message came."""
    call = stub.Watch(sidecar_pb2.WatchRequest(root=root))
    first = next(call)
    assert first.HasField("started"), first
    return call


def measure_latency(daemon, root, writes):
    began = time.perf_counter()
    call = watch(daemon.stub, root)
    watch_start = time.perf_counter() - began
    arrivals = queue.Queue()

    def read():
        try:
            for message in call:
                now = time.perf_counter()
                for change in message.changes:
                    arrivals.put((change.path.path, change.kind, now))
        except grpc.RpcError:
            pass

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    scratch = os.path.join(root, "watch-bench-scratch")
    os.mkdir(scratch)
    body = json.dumps(DOCUMENT, indent=2).encode()
    latencies = []
    for i in range(writes):
        stem = os.path.join(scratch, f"IMG_{i:05d}")
        with open(stem + ".jpg", "wb") as f:  # the image first: not a change
            f.write(b"\xff\xd8\xff\xd9")
        written = time.perf_counter()
        with open(stem + ".json", "wb") as f:
            f.write(body)
        while True:
            path, kind, arrived = arrivals.get(timeout=10)
            if path == stem + ".json":
                assert kind == sidecar_pb2.CHANGE_KIND_CREATED, kind
                latencies.append((arrived - written) * 1000)
                break
    call.cancel()
    reader.join(timeout=5)
    latencies.sort()
    return {
        "watch_start_s": round(watch_start, 4),
        "writes": writes,
        "latency_ms_median": round(statistics.median(latencies), 3),
        "latency_ms_p99": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 3),
        "latency_ms_max": round(latencies[-1], 3),
    }


def measure_memory(daemon, root, subscribers):
    time.sleep(1.0)  # the cancelled latency watch has ended
    before = rss_kib(daemon.process.pid)
    calls = [watch(daemon.stub, root) for _ in range(subscribers)]
    time.sleep(1.0)
    after = rss_kib(daemon.process.pid)
    for call in calls:
        call.cancel()
    return {
        "subscribers": subscribers,
        "rss_kib_0_subscribers": before,
        "rss_kib_n_subscribers": after,
        "rss_kib_per_subscriber": round((after - before) / subscribers, 1),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sidecard", default=os.path.join(REPO, "build/server/sidecard"))
    parser.add_argument("--tree", default=CORPUS if os.path.isdir(CORPUS) else None)
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="sidecard-watch-bench-")
    root = os.path.join(workdir, "tree")
    daemon = None
    try:
        if args.tree:
            subprocess.run(["cp", "-al", args.tree, root], check=True)
        else:
            small_tree(root)
        daemon = Daemon(args.sidecard, root, args.subscribers + 16, workdir)
        figures = {"tree": args.tree or "small generated tree (100 images)"}
        figures.update(measure_latency(daemon, root, args.writes))
        figures.update(measure_memory(daemon, root, args.subscribers))
    finally:
        if daemon is not None:
            daemon.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        json.dump(figures, sys.stdout, indent=2)
        print()
    else:
        for key, value in figures.items():
            print(f"{key:24} {value}")


if __name__ == "__main__":
    main()
