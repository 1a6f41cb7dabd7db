#!/usr/bin/env python3
"""The music catalog end to end (tests/bench/music.sh, docs/benchmarks.md "Music catalog"): starts `tyto serve` on
SQLite, adds SONGS tracks of Battle for Wesnoth's soundtrack as songs, then measures through the API:

  1. lookups of 10-second snippets (cut with ffmpeg at random offsets), each timed from POST /api/v1/songs/lookup
     until the lookup is completed: fresh snippets (decode, fingerprint, match), then the same bytes again (the
     cache answers); beside them, in the same run, Chromaprint's own `fpcalc` on the same snippets (fingerprinting
     only, no matching, no HTTP) as the peer;
  2. map generation of a synthesised 180-second drum track: the job's wall time as a multiple of real time, and
     beside it `aubio onset` + `aubio tempo` (onsets and beats only) on the same WAV;
  3. billing webhook events: EVENTS Stripe-signed events posted by 8 threads, accepted per second, and the time
     until their jobs all ran.

    music_e2e.py BUILD_DIR [SONGS] [LOOKUPS] [EVENTS]
"""
import concurrent.futures
import glob
import hashlib
import hmac
import json
import math
import os
import random
import re
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SECRET = "whsec_bench"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(math.ceil(p / 100 * len(v))) - 1))]


def drum_wav(path, seconds=180, bpm=120, rate=22050):
    rng = random.Random(7)
    n = int(seconds * rate)
    out = [0.0] * n
    beat = 60.0 / bpm
    b = 0
    while b * beat < seconds - 0.5:
        t0 = int(b * beat * rate)
        for i in range(int(0.3 * rate)):
            if t0 + i >= n:
                break
            x = i / rate
            if b % 2 == 0:
                out[t0 + i] += 0.9 * math.exp(-x * 12) * math.sin(2 * math.pi * (50 + 100 * math.exp(-x * 30)) * x)
            else:
                out[t0 + i] += math.exp(-x * 25) * (0.45 * rng.gauss(0, 1) + 0.35 * math.sin(2 * math.pi * 190 * x))
        for half in (0, 0.5):
            h0 = int((b + half) * beat * rate)
            prev = 0.0
            for i in range(int(0.08 * rate)):
                if h0 + i >= n:
                    break
                w = rng.gauss(0, 1)
                out[h0 + i] += 0.22 * math.exp(-i / rate * 60) * (w - prev)
                prev = w
        b += 1
    with open(path, "wb") as f:
        data = b"".join(struct.pack("<h", max(-32767, min(32767, int(s * 32767)))) for s in out)
        f.write(b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " +
                struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16) + b"data" + struct.pack("<I", len(data)) + data)


def main():
    build = sys.argv[1]
    songs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    lookups = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    events = int(sys.argv[4]) if len(sys.argv) > 4 else 400
    tracks = sorted(glob.glob("/usr/share/games/wesnoth/1.16/data/core/music/*.ogg"))
    if len(tracks) < songs:
        sys.exit("music bench: wesnoth-1.16-music is missing (scripts/packages/bench.txt)")
    data = tempfile.mkdtemp(prefix="tyto-bench-music.")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(os.path.join(data, "server.log"), "w")
    env = dict(os.environ, TYTO_PRODUCTS_MUSIC_WEBHOOK_SECRETS=SECRET, TYTO_PRODUCTS_MUSIC_LOOKUPS_PER_MINUTE="0",
               TYTO_PRODUCTS_MUSIC_GENERATIONS_PER_MINUTE="0", OMP_THREAD_LIMIT="1")
    server = subprocess.Popen([os.path.join(build, "tyto"), "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data,
                               "--log-level", "warn"], stdout=log, stderr=log, env=env)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/health")
                break
            except Exception:
                time.sleep(0.1)
        password = None
        for _ in range(100):
            m = re.search(r'"password":"([^"]+)"', open(os.path.join(data, "server.log")).read())
            if m:
                password = m.group(1)
                break
            time.sleep(0.1)

        def call(method, path, body=None, raw=None, content_type="application/json", token=None, headers=None):
            payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
            req = urllib.request.Request(base + path, data=payload, method=method)
            if payload is not None:
                req.add_header("Content-Type", content_type)
            if token:
                req.add_header("Authorization", "Bearer " + token)
            for k, v in (headers or {}).items():
                req.add_header(k, v)
            try:
                with urllib.request.urlopen(req) as res:
                    body = res.read()
                    return res.status, (json.loads(body) if body else None)
            except urllib.error.HTTPError as e:
                return e.code, json.loads(e.read() or b"null")

        token = call("POST", "/api/v1/auth/login", {"email": "admin@localhost", "password": password})[1]["access_token"]

        def upload(path, content_type):
            raw = open(path, "rb").read()
            _, up = call("POST", "/api/v1/uploads", {"purpose": "audio", "filename": os.path.basename(path),
                                                     "content_type": content_type, "size": len(raw),
                                                     "sha256": hashlib.sha256(raw).hexdigest()}, token=token)
            url = up["url"] if up["url"].startswith("http") else base + up["url"]
            req = urllib.request.Request(url, data=raw, method="PUT")
            req.add_header("Content-Type", content_type)
            urllib.request.urlopen(req).read()
            _, done = call("POST", f"/api/v1/uploads/{up['upload_id']}/complete", {}, token=token)
            return done["id"]

        def wait_job(job_id, timeout=600):
            started = time.monotonic()
            while time.monotonic() - started < timeout:
                _, j = call("GET", f"/api/v1/jobs/{job_id}", token=token)
                if j["state"] in ("succeeded", "failed", "cancelled"):
                    return j
                time.sleep(0.02)
            raise RuntimeError("job timed out")

        # The catalog.
        started = time.monotonic()
        for path in tracks[:songs]:
            _, s = call("POST", "/api/v1/songs", {"title": os.path.basename(path), "artist": "Wesnoth",
                                                  "object_id": upload(path, "audio/ogg")}, token=token)
            wait_job(s["job_id"])
        print(f"music catalog: {songs} songs added and fingerprinted whole in {time.monotonic() - started:.1f} s")

        # 1. Lookups of snippets, fresh and cached, with fpcalc beside them.
        rng = random.Random(11)
        snippets = []
        for i in range(lookups):
            track = tracks[i % songs]
            out = os.path.join(data, f"snippet{i}.mp3")
            duration = float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
                                             "csv=p=0", track], capture_output=True, text=True, check=True).stdout)
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-ss", str(rng.uniform(0, max(0.0, duration - 11))), "-t",
                            "10", "-i", track,
                            "-b:a", "96k", out], check=True)
            snippets.append(out)
        objects = [upload(p, "audio/mpeg") for p in snippets]

        def timed_lookup(object_id):
            t0 = time.monotonic()
            status, body = call("POST", "/api/v1/songs/lookup", {"object_id": object_id}, token=token)
            if status == 202:
                wait_job(body["job_id"])
                status, body = call("GET", f"/api/v1/songs/lookups/{body['lookup_id']}", token=token)
            return time.monotonic() - t0, body

        fresh = [timed_lookup(o) for o in objects]
        cached_objects = [upload(p, "audio/mpeg") for p in snippets]  # the same bytes, new objects
        cached = [timed_lookup(o) for o in cached_objects]
        found = sum(1 for _, b in fresh if b["matches"])
        hits = sum(1 for _, b in cached if b.get("cached"))
        fp_times = []
        fpcalc = shutil.which("fpcalc")
        if fpcalc:
            for p in snippets:
                t0 = time.monotonic()
                out = subprocess.run([fpcalc, p], capture_output=True, text=True).stdout
                if "FINGERPRINT=" not in out:
                    raise RuntimeError("fpcalc gave no fingerprint for " + p)
                fp_times.append(time.monotonic() - t0)
        fresh_s = [t for t, _ in fresh]
        cached_s = [t for t, _ in cached]
        print(f"music lookup (10 s MP3 snippets against {songs} songs, through the API, one at a time): fresh p50 "
              f"{statistics.median(fresh_s) * 1000:.0f} ms p95 {pct(fresh_s, 95) * 1000:.0f} ms ({found}/{lookups} "
              f"recognised); cached p50 {statistics.median(cached_s) * 1000:.1f} ms p95 {pct(cached_s, 95) * 1000:.1f} "
              f"ms ({hits}/{lookups} from the cache)")
        if fp_times:
            print(f"peer fpcalc (fingerprint only, same snippets, new process each): p50 "
                  f"{statistics.median(fp_times) * 1000:.0f} ms p95 {pct(fp_times, 95) * 1000:.0f} ms")

        # 2. Map generation of a 180-second drum track.
        wav = os.path.join(data, "drums180.wav")
        drum_wav(wav)
        _, s = call("POST", "/api/v1/songs", {"title": "drums180", "artist": "bench", "object_id": upload(wav, "audio/wav")},
                    token=token)
        wait_job(s["job_id"])
        t0 = time.monotonic()
        _, g = call("POST", f"/api/v1/songs/{s['id']}/maps/generate", {}, token=token)
        job = wait_job(g["job_id"])
        gen = time.monotonic() - t0
        _, m = call("GET", f"/api/v1/maps/{g['map_id']}", token=token)
        print(f"music map generation (180 s drum track, through the API, job {job['state']}): {gen:.2f} s = "
              f"{180 / gen:.1f}x real time, {m['notes']} notes, bpm {m['bpm']}")
        aubio = shutil.which("aubio")
        if aubio:
            t0 = time.monotonic()
            subprocess.run([aubio, "onset", wav], check=True, capture_output=True)
            subprocess.run([aubio, "tempo", wav], check=True, capture_output=True)
            a = time.monotonic() - t0
            print(f"peer aubio onset + tempo (same WAV, onsets and beats only): {a:.2f} s = {180 / a:.1f}x real time")

        # 3. Billing webhooks.
        _, me = call("GET", "/api/v1/auth/me", token=token)
        tenant = me["tenant"]["id"]
        user = me["user"]["id"]
        now = int(time.time())

        def event(i):
            body = json.dumps({"id": f"evt_bench_{i}", "object": "event", "type": "customer.subscription.updated",
                               "created": now - events + i, "data": {"object": {
                                   "id": f"sub_bench_{i % 10}", "object": "subscription", "customer": "cus_bench",
                                   "status": "active", "cancel_at_period_end": False,
                                   "current_period_start": now - 86400, "current_period_end": now + 86400 * 29,
                                   "metadata": {"tenant_id": tenant, "user_id": user},
                                   "items": {"object": "list", "data": [{"id": "si_1", "price": {
                                       "id": "price_pro", "lookup_key": "pro_monthly"}}]}}}})
            t = int(time.time())
            sig = hmac.new(SECRET.encode(), f"{t}.{body}".encode(), hashlib.sha256).hexdigest()
            return body.encode(), f"t={t},v1={sig}"

        bodies = [event(i) for i in range(events)]

        def post(item):
            body, sig = item
            return call("POST", "/api/v1/billing/stripe/webhook", raw=body, headers={"Stripe-Signature": sig})[0]

        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(post, bodies))
        accepted = time.monotonic() - t0
        ok = sum(1 for s in statuses if s == 200)
        while True:
            _, q = call("GET", "/api/v1/jobs?state=queued&limit=1", token=token)
            _, r = call("GET", "/api/v1/jobs?state=running&limit=1", token=token)
            if not q["items"] and not r["items"]:
                break
            time.sleep(0.05)
        processed = time.monotonic() - t0
        print(f"music billing webhooks: {ok}/{events} signed events accepted by 8 threads in {accepted:.2f} s = "
              f"{events / accepted:.0f} events/s; all processed by their jobs after {processed:.2f} s = "
              f"{events / processed:.0f} events/s")
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
