#!/usr/bin/env python3
"""Jobs through the HTTP API: no-op jobs per second end to end (enqueued with POST /api/v1/jobs/batch,
1,000 per request), then writes the ids of finished jobs to a file for the GET benchmark.

    tests/bench/jobs_http.py PORT JOBS IDS_FILE
"""
import json
import os
import re
import sys
import time
import urllib.request

port, total, ids_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
base = f"http://127.0.0.1:{port}"


def post(path, body):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json",
                                          "Authorization": "Bearer " + os.environ["TYTO_BENCH_KEY"]})
    with urllib.request.urlopen(req) as res:
        return json.load(res)


def unfinished():
    with urllib.request.urlopen(base + "/metrics") as res:
        text = res.read().decode()
    return sum(int(float(m)) for m in re.findall(r'^tyto_jobs_queue_depth\{[^}]*\} (\S+)$', text, re.M))


ids = []
start = time.monotonic()
for offset in range(0, total, 1000):
    n = min(1000, total - offset)
    results = post("/api/v1/jobs/batch", {"jobs": [{"pipeline": "builtin.noop"}] * n})["results"]
    ids.extend(r["job"]["id"] for r in results)
enqueued = time.monotonic() - start
while unfinished() > 0:
    time.sleep(0.01)
elapsed = time.monotonic() - start
print(f"== {total} no-op jobs through the API (batches of 1,000): enqueued in {enqueued:.2f} s, "
      f"all finished after {elapsed:.2f} s: {total / elapsed:.0f} jobs/s")
with open(ids_file, "w") as f:
    f.write("\n".join(ids) + "\n")
