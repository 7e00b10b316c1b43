"""Real servers on loopback for the tests that need them: moto server, free ports."""
from __future__ import annotations

import contextlib
import socket
import threading
from typing import Iterator


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")
_write_lock = threading.RLock()


def _atomic_dynamodb_writes() -> None:
    """Make moto's DynamoDB writes atomic, as DynamoDB's are.

    moto evaluates a write's condition and then applies it in plain Python, with no lock:
    under threads (and CPU load) two `failures < 5` updates can both see 4 and both write,
    which DynamoDB never allows for one item. The races tests fire would then measure moto,
    not us. One lock around each write restores DynamoDB's per-item atomicity (and more).
    """
    from moto.dynamodb.models import DynamoDBBackend

    for name in _WRITES:
        real = getattr(DynamoDBBackend, name)
        if getattr(real, "_hamta_atomic", False):
            continue

        def atomic(self, *args, _real=real, **kwargs):
            with _write_lock:
                return _real(self, *args, **kwargs)

        atomic._hamta_atomic = True  # type: ignore[attr-defined]
        setattr(DynamoDBBackend, name, atomic)


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """A moto server (threaded, in this process) on a free port; yields its URL.

    The store is pointed at it with every table created, and pointed back afterwards.
    Its DynamoDB writes are atomic, as DynamoDB's are (see `_atomic_dynamodb_writes`).
    """
    import os

    from moto.server import ThreadedMotoServer

    _atomic_dynamodb_writes()

    from chalicelib import settings
    from chalicelib.store import base

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    url = f"http://127.0.0.1:{port}"
    old = os.environ.get("AWS_ENDPOINT_URL")
    os.environ["AWS_ENDPOINT_URL"] = url
    settings.reload()
    base.configure()
    try:
        base.create_tables()
        yield url
    finally:
        if old is None:
            os.environ.pop("AWS_ENDPOINT_URL", None)
        else:
            os.environ["AWS_ENDPOINT_URL"] = old
        settings.reload()
        base.configure()
        server.stop()
