"""`langmem watch` under load (issue 13): a folder of transcript files, some of them appended to every
second; every touched conversation must be extracted exactly once, within --idle + 2 s of going
quiet, with the watcher's CPU while waiting <= 5 % of one core and its RSS <= 200 MB.

    python bench/watch.py                       # 1,000 files, 10 appended per second for 60 s, --idle 5s
    python bench/watch.py --poll                # the same with the polling watcher
    python bench/watch.py --offline             # the default offline extractor instead of the fake model
    python bench/watch.py --files 200 --seconds 10   # a quick look

Every second the bench appends one message to each of 10 files, the same 10 files for 3 seconds
in a row (so each conversation gets 3 messages, 1 s apart: the debounce must wait for the last),
then the next 10. The extractor is the scripted fake model (``--model fake/test``: one memory per
user message, no inference) with the ``hash:64`` embedder, so the figures are about the watcher,
not about a model. Before the measured run, ``watch --once`` takes in the files' first messages.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")


def line(text: str, role: str = "user") -> str:
    return json.dumps({"role": role, "content": text}) + "\n"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def rss_mb(pid: int, key: str = "VmHWM") -> float:
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith(key + ":"):
            return int(row.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--per-second", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--burst", type=int, default=3, help="seconds in a row each file is appended to")
    parser.add_argument("--idle", type=float, default=5.0)
    parser.add_argument("--quiet-window", type=float, default=20.0, help="seconds of CPU measured while waiting")
    parser.add_argument("--poll", action="store_true")
    parser.add_argument("--offline", action="store_true",
                        help="the default offline extractor (no --model: 'local', no LLM library loaded)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="langmem-watch-bench-"))
    folder, db = work / "chats", work / "memories.db"
    folder.mkdir()
    files = [folder / f"session-{i:04d}.jsonl" for i in range(args.files)]
    for i, path in enumerate(files):
        path.write_text(line(f"Session {i}: I am user number {i}.") + line("Noted.", "assistant"))
    if not args.offline:  # the scripted model is test code: registered for the watcher subprocess
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
        from support.fake_llm import register

        register()
    env = {**os.environ, "LANGMEM_DB": str(db), "LANGMEM_EMBEDDING_MODEL": "hash:64", "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    model = [] if args.offline else ["--model", "fake/test"]
    base = [sys.executable, "-m", "langmem_cli", "watch", str(folder), *model, "--json"]
    started = time.perf_counter()
    once = subprocess.run(base + ["--once", "--idle", "1ms"], env=env, capture_output=True, text=True)
    catch_up = time.perf_counter() - started
    taken = sum(1 for row in once.stdout.splitlines() if '"extracted"' in row)
    print(f"catch-up: watch --once took in {taken} conversations in {catch_up:.1f} s", file=sys.stderr)

    proc = subprocess.Popen(base + ["--idle", f"{args.idle}s"] + (["--poll"] if args.poll else []), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    events: list[tuple[float, dict]] = []
    ready = threading.Event()

    def read() -> None:
        for row in proc.stdout:
            event = json.loads(row)
            events.append((time.time(), event))
            if event["event"] == "watching":
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(120):
        raise SystemExit("the watcher did not start")
    rss_ready = rss_mb(proc.pid, "VmRSS")  # before the first extraction imports the model stack (litellm)
    idle_start = cpu_seconds(proc.pid)
    time.sleep(5)
    cpu_idle_before = (cpu_seconds(proc.pid) - idle_start) / 5

    last_append: dict[str, float] = {}
    appended: dict[str, int] = {}
    cpu_start, t0 = cpu_seconds(proc.pid), time.time()
    for second in range(args.seconds):
        group = second // args.burst
        for k in range(args.per_second):
            path = files[(group * args.per_second + k) % len(files)]
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(line(f"At second {second} I mention fact {second}-{k}."))
            last_append[str(path)] = time.time()
            appended[str(path)] = appended.get(str(path), 0) + 1
        time.sleep(max(0.0, t0 + second + 1 - time.time()))
    active_seconds = time.time() - t0
    cpu_active = (cpu_seconds(proc.pid) - cpu_start) / active_seconds
    deadline = time.time() + args.idle + 30
    while time.time() < deadline and len({e["file"] for _, e in events if e["event"] == "extracted"}) < len(last_append):
        time.sleep(0.2)
    time.sleep(2)  # anything extracted twice would show up now
    quiet_start = cpu_seconds(proc.pid)
    time.sleep(args.quiet_window)
    cpu_quiet = (cpu_seconds(proc.pid) - quiet_start) / args.quiet_window
    rss_peak, rss_now = rss_mb(proc.pid), rss_mb(proc.pid, "VmRSS")
    stopping = time.perf_counter()
    proc.terminate()  # the watcher is idle now: how long SIGTERM takes to end it
    code = proc.wait(30)
    exit_s = time.perf_counter() - stopping

    extracted = [(seen, e) for seen, e in events if e["event"] == "extracted"]
    per_file: dict[str, list] = {}
    for seen, e in extracted:
        per_file.setdefault(e["file"], []).append((seen, e))
    once_each = all(len(per_file.get(p, [])) == 1 for p in last_append) and set(per_file) == set(last_append)
    all_messages = all(per_file[p][0][1]["messages"] == appended[p] for p in per_file if p in appended)
    lags = sorted(per_file[p][0][0] - last_append[p] for p in last_append if p in per_file)
    result = {
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
        "mode": "polling" if args.poll else "file events",
        "files": args.files, "touched": len(last_append), "appends": sum(appended.values()),
        "idle_s": args.idle, "extractions": len(extracted), "exactly_once": once_each,
        "all_messages_in_one_extraction": all_messages,
        "lag_after_quiet_s": {"median": round(statistics.median(lags), 2) if lags else None,
                              "max": round(max(lags), 2) if lags else None},
        "lag_minus_idle_max_s": round(max(lags) - args.idle, 2) if lags else None,
        "cpu_waiting_pct": round(100 * cpu_quiet, 2), "cpu_waiting_before_pct": round(100 * cpu_idle_before, 2),
        "cpu_while_appending_pct": round(100 * cpu_active, 1),
        "rss_peak_mb": round(rss_peak, 1), "rss_end_mb": round(rss_now, 1),
        "rss_before_first_extraction_mb": round(rss_ready, 1), "exit_code": code,
        "exit_after_sigterm_s": round(exit_s, 2),
        "catch_up_once_s": round(catch_up, 1), "catch_up_conversations": taken,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
