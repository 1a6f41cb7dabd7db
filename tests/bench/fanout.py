#!/usr/bin/env python3
"""Event fan-out: N WebSocket subscribers on one job's topic while the job emits progress events.
Reports deliveries per second and the delivery latency (server event time to client receipt).
The subscribers are spread over CLIENT_PROCESSES processes (default 4) so that one Python thread
draining a thousand sockets does not dominate the latency it measures.

    tests/bench/fanout.py PORT SUBSCRIBERS STEPS STEP_MS [CLIENT_PROCESSES]
"""
import asyncio
import base64
import json
import os
import struct
import sys
import time
import urllib.request
from datetime import datetime, timezone

port, subscribers, steps, step_ms = (int(a) for a in sys.argv[1:5])
processes = int(sys.argv[5]) if len(sys.argv) > 5 else 4
first_last = [None, None]


def post(path, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json",
                                          "Authorization": "Bearer " + os.environ["TYTO_BENCH_KEY"]})
    with urllib.request.urlopen(req) as res:
        return json.load(res)


async def read_frame(reader):
    head = await reader.readexactly(2)
    length = head[1] & 0x7F
    if length == 126:
        length = struct.unpack("!H", await reader.readexactly(2))[0]
    elif length == 127:
        length = struct.unpack("!Q", await reader.readexactly(8))[0]
    return head[0] & 0x0F, await reader.readexactly(length)


async def subscriber(job_id, latencies, counts, ready):
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET /ws/jobs/{job_id} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Authorization: Bearer {os.environ['TYTO_BENCH_KEY']}\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    await writer.drain()
    await reader.readuntil(b"\r\n\r\n")
    ready.append(1)
    while True:
        opcode, payload = await read_frame(reader)
        if opcode == 8:
            break
        if opcode != 1:
            continue
        now = time.time()
        # Cheap parsing keeps the client from being the bottleneck: only type and time are read.
        if b'"type":"progress"' in payload:
            i = payload.find(b'"time":"') + 8
            stamp = payload[i:i + 23].decode()
            sent = datetime.fromisoformat(stamp).replace(tzinfo=timezone.utc).timestamp()
            latencies.append((now - sent) * 1000)
            counts[0] += 1
            first_last[0] = first_last[0] or now
            first_last[1] = now
        elif b'"type":"succeeded"' in payload:
            break
    writer.close()


async def subscribe_all(job_id, count, ready_counter):
    latencies, counts, ready = [], [0], []
    tasks = [asyncio.create_task(subscriber(job_id, latencies, counts, ready)) for _ in range(count)]
    while len(ready) < count:
        await asyncio.sleep(0.02)
    with ready_counter.get_lock():
        ready_counter.value += count
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=120)
    return latencies, counts[0], first_last


def client_process(job_id, count, ready_counter, results):
    results.put(asyncio.run(subscribe_all(job_id, count, ready_counter)))


def main():
    import multiprocessing as mp
    # The measured job starts 4 s from now, once every subscriber is connected.
    job = post("/api/v1/jobs", {"pipeline": "builtin.sleep", "input": {"ms": steps * step_ms, "steps": steps},
                                "run_at": datetime.utcfromtimestamp(time.time() + 4).isoformat() + "Z"})
    ready_counter, results = mp.Value("i", 0), mp.Queue()
    share = [subscribers // processes + (1 if i < subscribers % processes else 0) for i in range(processes)]
    procs = [mp.Process(target=client_process, args=(job["id"], n, ready_counter, results)) for n in share if n]
    for p in procs:
        p.start()
    gathered = [results.get(timeout=150) for _ in procs]
    for p in procs:
        p.join()
    latencies = sorted(l for lat, _, _ in gathered for l in lat)
    count = sum(c for _, c, _ in gathered)
    first = min(fl[0] for _, _, fl in gathered if fl[0])
    last = max(fl[1] for _, _, fl in gathered if fl[1])
    p = lambda q: latencies[int(q * (len(latencies) - 1))]
    print(f"== fan-out: {subscribers} WebSocket subscribers ({len(procs)} client processes), {steps} progress "
          f"events each, one every {step_ms} ms: {count} deliveries, {count / (last - first):.0f} deliveries/s; "
          f"delivery latency p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms")


if __name__ == "__main__":
    main()
