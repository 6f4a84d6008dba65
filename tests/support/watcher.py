"""TEST-ONLY: `langmem watch` as a real process, its --json events read line by line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[2]


def watch_env(db: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "LANGMEM_DB": str(db), "LANGMEM_EMBEDDING_MODEL": "hash:64", "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("LANGMEM_DEBUG", None)
    env.update(extra)
    return env


class WatchProcess:
    """``langmem watch ARGS --json`` in a subprocess; ``events`` fills as it prints them."""

    def __init__(self, db: Path, *args: str, env: dict[str, str] | None = None, model: tuple = ("--model", "fake/test"),
                 wrap: tuple = ()):
        """``wrap``: a command that runs the watcher (it must exec it, so that signals reach it)."""
        self.proc = subprocess.Popen(
            [*wrap, sys.executable, "-m", "langmem_cli", "watch", *map(str, args), *model, "--json"],
            env=env or watch_env(db), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.events: list[dict[str, Any]] = []
        self.stderr: list[str] = []
        self._threads = [threading.Thread(target=self._read_out, daemon=True),
                         threading.Thread(target=self._read_err, daemon=True)]
        for thread in self._threads:
            thread.start()

    def _read_out(self) -> None:
        for line in self.proc.stdout:
            if line.strip():
                event = json.loads(line)
                event["seen"] = time.time()
                self.events.append(event)

    def _read_err(self) -> None:
        for line in self.proc.stderr:
            self.stderr.append(line.rstrip("\n"))

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event"] == kind]

    def wait_for(self, predicate: Callable[["WatchProcess"], bool], timeout: float = 30.0, what: str = "") -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate(self):
                return
            if self.proc.poll() is not None:
                time.sleep(0.2)
                if predicate(self):
                    return
                raise AssertionError(f"watch exited {self.proc.returncode} waiting for {what}: {self.describe()}")
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}: {self.describe()}")

    def ready(self, timeout: float = 60.0) -> "WatchProcess":
        self.wait_for(lambda w: bool(w.of("watching")), timeout, "the watching event")
        return self

    def extracted(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        self.wait_for(lambda w: len(w.of("extracted")) >= count, timeout, f"{count} extractions")
        return self.of("extracted")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout)
        for thread in self._threads:
            thread.join(timeout=5)
        return code

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)

    def describe(self) -> str:
        return f"events={self.events!r} stderr={self.stderr[-10:]!r}"

    def __enter__(self) -> "WatchProcess":
        return self

    def __exit__(self, *exc) -> None:
        if self.proc.poll() is None:
            self.kill()


def run_once(db: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, list[dict[str, Any]], str]:
    """``langmem watch ARGS --once --json``: (exit code, events, stderr)."""
    done = subprocess.run([sys.executable, "-m", "langmem_cli", "watch", *map(str, args), "--once", "--model",
                           "fake/test", "--json"], env=env or watch_env(db), capture_output=True, text=True, timeout=120)
    events = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return done.returncode, events, done.stderr


def message(text: str, role: str = "user") -> str:
    return json.dumps({"role": role, "content": text}) + "\n"


def append(path: Path, *texts: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        for text in texts:
            handle.write(message(text))
