#!/usr/bin/python3
"""The peers of the jobs benchmarks (issue 9), run by tests/bench/jobs_peer.sh on this machine:

  jobs_peer.py celery-worker REDIS_URL           a Celery 5 worker (2 threads) running no-op tasks
  jobs_peer.py celery-single REDIS_URL CLIENTS SECONDS
      CLIENTS threads each calling noop.delay() one task at a time (as wrk -c32 POSTs one job per
      request) for SECONDS; prints tasks enqueued/s and how many the worker finished meanwhile
  jobs_peer.py celery-batch REDIS_URL JOBS       JOBS tasks enqueued from one thread, timed until the
                                                 worker finished them all (end to end, as jobs_http.py)
  jobs_peer.py fastapi SQLITE_FILE PORT          FastAPI + uvicorn (one worker): GET /api/v1/jobs/{id}
                                                 reads the row from SQLite; POST /api/v1/jobs inserts one
  jobs_peer.py make-db SQLITE_FILE JOBS IDS_FILE a jobs table of JOBS rows; their ids to IDS_FILE

Debian's python3 (/usr/bin/python3) with python3-celery, python3-redis, python3-fastapi and
python3-uvicorn (scripts/packages/bench.txt). Each task counts itself in Redis (INCR), so "finished" is
what the worker really ran.
"""
import json
import sqlite3
import sys
import threading
import time
import uuid

DONE_KEY = "tyto-peer-done"


def celery_app(redis_url):
    from celery import Celery

    app = Celery("tyto_peer", broker=redis_url)
    app.conf.task_ignore_result = True
    app.conf.worker_hijack_root_logger = False

    import redis

    counter = redis.Redis.from_url(redis_url)

    @app.task(name="noop")
    def noop():
        counter.incr(DONE_KEY)

    return app, noop, counter


def done_count(counter):
    return int(counter.get(DONE_KEY) or 0)


def celery_worker(redis_url):
    app, _, _ = celery_app(redis_url)
    app.worker_main(["worker", "--pool=threads", "--concurrency=2", "--without-heartbeat", "--without-gossip",
                     "--without-mingle", "--loglevel=WARNING"])


def celery_single(redis_url, clients, seconds):
    _, noop, counter = celery_app(redis_url)
    noop.delay()  # connect once before timing
    counts = [0] * clients
    stop = time.monotonic() + seconds
    before = done_count(counter)

    def client(i):
        n = 0
        while time.monotonic() < stop:
            noop.delay()
            n += 1
        counts[i] = n

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    finished = done_count(counter) - before
    total = sum(counts)
    print(f"celery single enqueue, {clients} client threads, {seconds} s: {total / elapsed:.0f} tasks/s enqueued, "
          f"{finished / elapsed:.0f} tasks/s finished by the worker meanwhile")


def celery_batch(redis_url, jobs):
    _, noop, counter = celery_app(redis_url)
    noop.delay()
    while done_count(counter) < 1:
        time.sleep(0.01)
    target = done_count(counter) + jobs
    started = time.monotonic()
    for _ in range(jobs):
        noop.delay()
    enqueued = time.monotonic() - started
    while done_count(counter) < target:
        time.sleep(0.005)
    elapsed = time.monotonic() - started
    print(f"celery {jobs} tasks from one thread: enqueued in {enqueued:.2f} s ({jobs / enqueued:.0f}/s), "
          f"all finished after {elapsed:.2f} s: {jobs / elapsed:.0f} tasks/s end to end")


SCHEMA = ("CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, pipeline TEXT NOT NULL, "
          "input TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL, result TEXT, created_at REAL NOT NULL)")


def make_db(path, jobs, ids_file):
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(SCHEMA)
    ids = [str(uuid.uuid4()) for _ in range(jobs)]
    db.executemany("INSERT INTO jobs VALUES (?, 't1', 'builtin.noop', '{}', 'succeeded', 1, '{}', ?)",
                   [(i, time.time()) for i in ids])
    db.commit()
    with open(ids_file, "w") as f:
        f.write("\n".join(ids) + "\n")


def fastapi_server(path, port):
    import uvicorn
    from fastapi import FastAPI, HTTPException

    app = FastAPI()
    # One worker process, one thread: the endpoints are async and read SQLite inline, FastAPI's fastest form
    # for a read this short (a plain def would add a hop to its thread pool per request, as Tyto's pool did).
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")

    @app.get("/api/v1/jobs/{job_id}")
    async def get_job(job_id: str):
        row = con.execute("SELECT id, tenant_id, pipeline, input, state, attempts, result, created_at FROM jobs "
                          "WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise HTTPException(status_code=404, detail="no such job")
        return {"id": row[0], "tenant_id": row[1], "pipeline": row[2], "input": json.loads(row[3]),
                "state": row[4], "attempts": row[5], "result": json.loads(row[6]), "created_at": row[7]}

    @app.post("/api/v1/jobs", status_code=202)
    async def post_job(body: dict):
        job_id = str(uuid.uuid4())
        con.execute("INSERT INTO jobs VALUES (?, 't1', ?, ?, 'queued', 0, NULL, ?)",
                    (job_id, body.get("pipeline", ""), json.dumps(body.get("input", {})), time.time()))
        con.commit()
        return {"id": job_id, "state": "queued"}

    uvicorn.run(app, host="127.0.0.1", port=port, loop="uvloop", http="httptools", log_level="warning",
                access_log=False)


def main(argv):
    mode = argv[1]
    if mode == "celery-worker":
        celery_worker(argv[2])
    elif mode == "celery-single":
        celery_single(argv[2], int(argv[3]), float(argv[4]))
    elif mode == "celery-batch":
        celery_batch(argv[2], int(argv[3]))
    elif mode == "make-db":
        make_db(argv[2], int(argv[3]), argv[4])
    elif mode == "fastapi":
        fastapi_server(argv[2], int(argv[3]))
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv)
