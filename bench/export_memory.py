#!/usr/bin/python3
"""What Export calls leave in the daemon's memory (issue 17): VmRSS of a real sidecard.

    PYTHONPATH=<build>/python bench/export_memory.py SIDECARD TREE MODE [COUNT]

Starts SIDECARD (the daemon binary) with TREE as its allowed root on a socket in a temporary
directory (--max-concurrent-calls COUNT + 1, so GetServerInfo still fits; its log goes
there), drives Export
(JSON Lines) over one channel and prints the daemon's VmRSS from /proc/PID/status:

    cancel N     N sequential Exports, each cancelled after its first message (default 1000)
    hold N       N Exports held open after one message each (default 64)
    hold-unread  N Exports started and never read (default 64)
    full N       N whole Exports, with the daemon's CPU time

After `cancel` and `hold*` it cancels everything, waits until no call runs and 2 s more, and
prints the RSS again. `hold` figures are taken once the daemon's CPU time stops growing (every
call rendered what it could). `bench/export_memory.py --make-large DIR` writes the tree with one
15 MiB sidecar (compact JSON, faces with 512-float encodings) and 8 normal `.bin` ones;
`bench/make-corpus DIR --images 11000` makes one of about 10,000 small sidecars.
"""

import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time

import grpc

from sidecard._gen.sidecar.v1 import sidecar_pb2, sidecar_pb2_grpc


def make_large(root, target=15 << 20):
    os.makedirs(root, exist_ok=True)
    rng = random.Random(7)
    encodings = [[rng.uniform(-0.2, 0.2) for _ in range(512)] for _ in range(16)]

    def face(i):
        return {"bbox": [rng.randint(0, 5000), rng.randint(0, 3000), 120, 140],
                "confidence": rng.random(), "face_id": i,
                "landmarks": [[rng.random() * 6000, rng.random() * 4000] for _ in range(5)],
                "encoding": encodings[i % 16]}

    faces = []
    doc = {"face_detection": {"insightface": {"faces": faces, "success": True}},
           "sidecar_info": {"operation_type": "face_detection"}}
    size = 0
    while size < target:
        faces.append(face(len(faces)))
        size += len(json.dumps(faces[-1], separators=(",", ":"))) + 1
    for name, body in [("IMG_big", doc)] + [
            (f"IMG_{i}", {"face_detection": {"insightface": {"faces": [face(0), face(1)],
                                                            "success": True}},
                          "sidecar_info": {"operation_type": "face_detection"}})
            for i in range(8)]:
        with open(os.path.join(root, name + ".jpg"), "wb") as f:
            f.write(b"\xff\xd8\xff")
        text = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
        if name == "IMG_big":
            with open(os.path.join(root, name + ".json"), "wb") as f:
                f.write(text)
        else:
            with open(os.path.join(root, name + ".bin"), "wb") as f:
                f.write(struct.pack("<Q", len(text)) + text)
    print(f"{root}: one sidecar of {len(json.dumps(doc, separators=(',', ':')))} bytes, 8 small")


class Daemon:
    def __init__(self, binary, root, max_calls):
        self.dir = tempfile.mkdtemp(prefix="sidecard-memory-")
        self.address = "unix:" + os.path.join(self.dir, "sock")
        self.process = subprocess.Popen(
            [binary, "--allowed-root", root, "--listen", self.address, "--log-level", "warn",
             "--max-concurrent-calls", str(max_calls)],
            stderr=open(os.path.join(self.dir, "sidecard.log"), "wb"))
        for _ in range(200):
            if os.path.exists(os.path.join(self.dir, "sock")):
                break
            time.sleep(0.05)

    def figure(self, name="VmRSS"):
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith(name + ":"):
                    return int(line.split()[1]) // 1024
        return -1

    def cpu(self):
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.process.terminate()
        self.process.wait()
        shutil.rmtree(self.dir)


def main(argv):
    if len(argv) == 3 and argv[1] == "--make-large":
        make_large(argv[2])
        return 0
    if len(argv) not in (4, 5):
        print(__doc__, file=sys.stderr)
        return 2
    binary, root, mode = argv[1], os.path.realpath(argv[2]), argv[3]
    count = int(argv[4]) if len(argv) == 5 else (1000 if mode == "cancel" else 64)
    daemon = Daemon(binary, root, max(64, count + 1))
    try:
        channel = grpc.insecure_channel(daemon.address)
        stub = sidecar_pb2_grpc.SidecarServiceStub(channel)
        request = sidecar_pb2.ExportRequest(root=root, format=sidecar_pb2.EXPORT_FORMAT_JSONL)

        def wait_idle():
            for _ in range(3000):
                if stub.GetServerInfo(sidecar_pb2.GetServerInfoRequest()).active_calls <= 1:
                    break
                time.sleep(0.01)
            time.sleep(2)

        stub.GetServerInfo(sidecar_pb2.GetServerInfoRequest(), wait_for_ready=True)
        print(f"idle: RSS {daemon.figure()} MiB", flush=True)
        cpu_start, start = daemon.cpu(), time.time()
        if mode == "full":
            received = 0
            for _ in range(count):
                for message in stub.Export(request):
                    received += len(message.chunk)
            print(f"{count} whole Exports ({received} bytes) in {time.time() - start:.1f} s, "
                  f"daemon CPU {daemon.cpu() - cpu_start:.2f} s; RSS {daemon.figure()} MiB, "
                  f"peak {daemon.figure('VmHWM')} MiB")
        elif mode == "cancel":
            for i in range(1, count + 1):
                call = stub.Export(request)
                next(call)
                call.cancel()
                if i % max(1, count // 10) == 0:
                    print(f"{i:6d} cancelled: RSS {daemon.figure()} MiB", flush=True)
            wait_idle()
            print(f"after {count} cancelled Exports, idle: RSS {daemon.figure()} MiB, "
                  f"peak {daemon.figure('VmHWM')} MiB", flush=True)
        elif mode in ("hold", "hold-unread"):
            calls = []
            for _ in range(count):
                calls.append(stub.Export(request))
                if mode == "hold":
                    next(calls[-1])
            last = daemon.cpu()
            while True:  # until every call has done what it can
                time.sleep(1)
                now = daemon.cpu()
                if now - last < 0.05 and time.time() - start > 3:
                    break
                last = now
            print(f"{count} Exports held ({'after one message' if mode == 'hold' else 'unread'}):"
                  f" RSS {daemon.figure()} MiB, peak {daemon.figure('VmHWM')} MiB", flush=True)
            for call in calls:
                call.cancel()
            wait_idle()
            print(f"after cancelling them, idle: RSS {daemon.figure()} MiB", flush=True)
        else:
            print(__doc__, file=sys.stderr)
            return 2
    finally:
        daemon.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
