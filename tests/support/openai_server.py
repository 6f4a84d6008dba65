"""TEST-ONLY: a real OpenAI-compatible HTTP server on 127.0.0.1 with scripted replies.

It speaks the chat-completions protocol (``POST /v1/chat/completions``, ``GET /v1/models``) over
real sockets, so the ``--api-base`` path (litellm, the OpenAI SDK, httpx, timeouts, error mapping)
runs for real; only the model's answers are scripted. Every request is recorded.

A scripted reply is one of:
- a string: the assistant message content;
- ``{"json": value}``: the content is ``json.dumps(value)``;
- ``{"status": 500, "error": "message"}``: an HTTP error with an OpenAI-style error body;
- any of the above with ``"delay": seconds`` (waits before answering: for timeouts).
With the queue empty, the server answers validly by itself (``fake_llm.auto_reply``) when ``auto``
is set, else with HTTP 500. ``refuse`` names response_format types answered with HTTP 400 (as
servers that do not support ``json_schema`` do).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class ScriptedOpenAIServer:
    def __init__(self, replies=(), *, auto: bool = True, refuse: tuple[str, ...] = (), model: str = "scripted"):
        self.replies: deque = deque(replies)
        self.requests: list[dict[str, Any]] = []
        self.auto = auto
        self.refuse = set(refuse)
        self.model = model
        self.lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle ------------------------------------------------------------
    def start(self) -> "ScriptedOpenAIServer":
        server = self

        class Handler(_Handler):
            owner = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="openai-test-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(timeout=10)
            self._httpd = None

    def __enter__(self) -> "ScriptedOpenAIServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    # -- script ----------------------------------------------------------------
    def reset(self, replies=(), *, auto: bool | None = None, refuse: tuple[str, ...] | None = None) -> "ScriptedOpenAIServer":
        with self.lock:
            self.replies = deque(replies)
            self.requests = []
            if auto is not None:
                self.auto = auto
            if refuse is not None:
                self.refuse = set(refuse)
        return self

    def completions(self) -> list[dict[str, Any]]:
        """The bodies of the chat-completion requests received, in order."""
        return [r["body"] for r in self.requests if r["path"].endswith("/chat/completions")]

    def _answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any], float]:
        fmt = body.get("response_format") or {}
        if fmt.get("type") in self.refuse:
            return 400, _error(f"response_format type {fmt.get('type')!r} is not supported by this server",
                               "invalid_request_error"), 0.0
        with self.lock:
            reply = self.replies.popleft() if self.replies else None
        delay = float(reply.get("delay", 0.0)) if isinstance(reply, dict) else 0.0
        if isinstance(reply, dict) and "status" in reply:
            return int(reply["status"]), _error(reply.get("error", "scripted error"), "server_error"), delay
        if reply is None:
            if not self.auto:
                return 500, _error("scripted server: no reply left", "server_error"), 0.0
            from support.fake_llm import auto_reply

            schema = fmt.get("json_schema", {}).get("schema") or fmt.get("schema") or {}
            name = fmt.get("json_schema", {}).get("name") or schema.get("title") or _named_in_text(body)
            text = json.dumps(auto_reply(body.get("messages", []), name))
        elif isinstance(reply, dict) and "json" in reply:
            text = json.dumps(reply["json"])
        else:
            text = str(reply)
        prompt = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
        usage = {"prompt_tokens": max(1, prompt // 4), "completion_tokens": max(1, len(text) // 4)}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        return 200, {
            "id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", self.model),
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
            "usage": usage,
        }, delay


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then closed): connection refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _named_in_text(body: dict[str, Any]) -> str | None:
    """Without a response_format, the schema travels in the prompt: find its title there."""
    for message in body.get("messages", []):
        content = str(message.get("content", ""))
        for name in ("ExtractReply", "MergeReply", "ProfileReply", "MemoryUpdate", "Reflection", "MetaStep", "Which"):
            if f'"title": "{name}"' in content:
                return name
    return None


def _error(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


class _Handler(BaseHTTPRequestHandler):
    owner: ScriptedOpenAIServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - quiet
        pass

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802
        self.owner.requests.append({"method": "GET", "path": self.path, "headers": dict(self.headers), "body": None})
        if self.path.rstrip("/").endswith("/models"):
            self._send(200, {"object": "list", "data": [{"id": self.owner.model, "object": "model", "owned_by": "test"}]})
        else:
            self._send(404, _error(f"no route {self.path}", "not_found"))

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._send(400, _error("body is not JSON", "invalid_request_error"))
            return
        with self.owner.lock:
            self.owner.requests.append({"method": "POST", "path": self.path, "headers": dict(self.headers), "body": body})
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send(404, _error(f"no route {self.path}", "not_found"))
            return
        status, payload, delay = self.owner._answer(body)
        if delay:
            time.sleep(delay)
        try:
            self._send(status, payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            pass
