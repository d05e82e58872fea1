"""A local OpenAI-compatible provider for the external-model tests: answers chat and completion requests
with a fixed token usage, and records what it received (path, headers, body)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

USAGE = {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}


class FakeProvider:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                provider.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                if self.path.endswith("/chat/completions"):
                    text = "echo: " + body["messages"][-1]["content"]
                    answer = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": body["model"],
                              "choices": [{"index": 0, "finish_reason": "stop",
                                           "message": {"role": "assistant", "content": text}}], "usage": USAGE}
                elif self.path.endswith("/completions"):
                    answer = {"id": "cmpl-1", "object": "text_completion", "created": 1, "model": body["model"],
                              "choices": [{"index": 0, "text": "echo: " + body["prompt"], "finish_reason": "stop"}],
                              "usage": USAGE}
                else:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
