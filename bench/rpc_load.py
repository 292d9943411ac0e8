#!/usr/bin/python3
"""A small gRPC load client: GetServerInfo over C concurrent streams (grpc.aio).

    PYTHONPATH=<build>/python bench/rpc_load.py ADDRESS [--requests N] [--concurrency C]
                                                [--channels K] [--json]

ADDRESS is `unix:/path` or `host:port`. C coroutines (default 32) share K
channels (default 4, like h2load -c 4 -m 8) and each sends its share of N
requests (default 20000) back to back; every call must end with status OK.
Prints requests per second over the whole run and the p50/p90/p99/max latency
of single calls. The client runs in one Python process, so on a small machine
it competes with the daemon for the cores: its figures are a lower bound for
the daemon's throughput (h2load's are the reference).
"""

import argparse
import asyncio
import json
import sys
import time

import grpc
import grpc.aio

from sidecard._gen.sidecar.v1 import sidecar_pb2, sidecar_pb2_grpc


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


async def run(address, requests, concurrency, channels):
    chans = [grpc.aio.insecure_channel(address) for _ in range(channels)]
    stubs = [sidecar_pb2_grpc.SidecarServiceStub(c) for c in chans]
    request = sidecar_pb2.GetServerInfoRequest()
    for stub in stubs:  # connect before timing
        await stub.GetServerInfo(request, timeout=10)
    latencies = []
    failures = 0
    per = [requests // concurrency + (1 if i < requests % concurrency else 0)
           for i in range(concurrency)]

    async def worker(i):
        nonlocal failures
        stub = stubs[i % channels]
        clock = time.perf_counter
        for _ in range(per[i]):
            t = clock()
            try:
                await stub.GetServerInfo(request, timeout=30)
            except grpc.aio.AioRpcError:
                failures += 1
                continue
            latencies.append(clock() - t)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    seconds = time.perf_counter() - t0
    for c in chans:
        await c.close()
    latencies.sort()
    return {
        "requests": requests,
        "ok": len(latencies),
        "failed": failures,
        "concurrency": concurrency,
        "channels": channels,
        "seconds": seconds,
        "rps": len(latencies) / seconds if seconds > 0 else 0.0,
        "p50_ms": percentile(latencies, 50) * 1e3,
        "p90_ms": percentile(latencies, 90) * 1e3,
        "p99_ms": percentile(latencies, 99) * 1e3,
        "max_ms": (latencies[-1] if latencies else float("nan")) * 1e3,
    }


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("address")
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--channels", type=int, default=4)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    r = asyncio.run(run(args.address, args.requests, args.concurrency, args.channels))
    if args.json:
        print(json.dumps(r, sort_keys=True))
    else:
        print(f"GetServerInfo x{r['requests']} over {r['concurrency']} streams "
              f"({r['channels']} channels): {r['rps']:.0f} req/s, p50 {r['p50_ms']:.2f} ms, "
              f"p99 {r['p99_ms']:.2f} ms, max {r['max_ms']:.2f} ms, {r['failed']} failed")
    return 0 if r["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
