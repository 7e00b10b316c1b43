"""A stand-in for Kavenegar's REST API on 127.0.0.1, answering as its documentation says
(https://kavenegar.com/rest.html): POST /v1/{API-KEY}/sms/send.json with the form fields
receptor, message, sender, localid -> {"return": {"status", "message"}, "entries"}, the
status also being the HTTP status. `answers` scripts what each next request gets:
an int (a status code), "slow" (an answer after the client's timeout) or "drop" (the
connection closed with no answer); once they are used up, every request gets 200.
"""
from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

# The documented messages of the statuses the tests use (rest.html, "نتایج و خطاها").
MESSAGES = {
    200: "تایید شد",
    401: "حساب کاربری غیرفعال شده است",
    403: "کد شناسائی API-Key معتبر نمی‌باشد",
    409: "سرور قادر به پاسخگوئی نیست بعدا تلاش کنید",
    411: "دریافت کننده نامعتبر است",
    412: "ارسال کننده نامعتبر است",
    413: "پیام خالی است و یا طول پیام بیش از حد مجاز می‌باشد",
    418: "اعتبار حساب شما کافی نیست",
    422: "داده ها به دلیل وجود کاراکتر نامناسب قابل پردازش نیست",
    451: "فراخوانی بیش از حد در بازه زمانی مشخص",
}


class StandIn:
    def __init__(self, slow_seconds: float = 1.6) -> None:
        self.answers: list[int | str] = []
        self.requests: list[dict] = []  # {"path", "form"} of each request, in order
        self.slow_seconds = slow_seconds
        self.url = ""
        self._lock = threading.Lock()

    def next_answer(self) -> int | str:
        with self._lock:
            return self.answers.pop(0) if self.answers else 200


def _handler(standin: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            standin.requests.append({"path": self.path, "form": form})
            answer = standin.next_answer()
            if answer == "drop":
                self.close_connection = True
                self.connection.close()
                return
            if answer == "slow":
                time.sleep(standin.slow_seconds)
                answer = 200
            status = int(answer)
            entries = None
            if status == 200:
                entries = [{"messageid": 8792343, "message": form.get("message", ""), "status": 1,
                            "statustext": "در صف ارسال", "sender": form.get("sender", "10004346"),
                            "receptor": form.get("receptor", ""), "date": int(time.time()),
                            "cost": 120}]
            body = json.dumps({"return": {"status": status, "message": MESSAGES.get(status, "")},
                               "entries": entries}, ensure_ascii=False).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up (a slow answer)

    return Handler


@contextlib.contextmanager
def kavenegar_standin() -> Iterator[StandIn]:
    """The stand-in on a free port of 127.0.0.1; its base URL (".../v1") in `.url`."""
    standin = StandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(standin))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    standin.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield standin
    finally:
        server.shutdown()
        server.server_close()
