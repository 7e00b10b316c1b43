"""scripts/local.py as a newcomer runs it: a subprocess on free ports, spoken to over HTTP
(the local run's tests, the browser's, the screenshots)."""
from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPERATOR = "local-operator-key"
REGISTRAR = "local-registrar-key"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalRun:
    """scripts/local.py in a subprocess; its stdout lines collected as they come."""

    def __init__(self, *flags: str, env: dict | None = None) -> None:
        self.port, self.aws_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.aws = f"http://127.0.0.1:{self.aws_port}"
        child_env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HAMTA_"))}
        child_env.update({"CAPTCHA_MODE": "off", **(env or {})})
        self.process = subprocess.Popen(
            [sys.executable, "scripts/local.py", "--port", str(self.port),
             "--aws-port", str(self.aws_port), "--operator-key", OPERATOR,
             "--registrar-key", REGISTRAR, *flags],
            cwd=ROOT, env=child_env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, encoding="utf-8",
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:  # type: ignore[union-attr]
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, predicate, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None:
                    raise AssertionError(f"local.py exited: {self.output[-20:]}")
                continue
            self.output.append(line)
            if predicate(line):
                return line
        raise AssertionError(f"not seen in time; output so far: {self.output[-20:]}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=20)
        finally:
            if self.process.poll() is None:
                self.process.kill()

    def call(self, method: str, path: str, body=None, token=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = requests.request(method, self.url + path, json=body, headers=headers, timeout=10)
        return response.status_code, response.json() if response.content else None
