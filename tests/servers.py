"""Real servers on loopback for the tests that need them (a moto server), and what the racing
tests set up through the services: a SIM session's caller, a device it owns."""
from __future__ import annotations

import contextlib
import threading
from datetime import date
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator

import pytest

from testkit import ids
from testkit.local_run import free_port


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """A moto server (threaded, in this process) on a free port; yields its URL.

    The store is pointed at it with every table created, and pointed back afterwards.
    Its DynamoDB writes are atomic, as DynamoDB's are (see scripts/moto_patches.py
    `atomic_moto_writes`: moto checks a condition and writes with no lock between).
    """
    import os

    from moto.server import ThreadedMotoServer

    from scripts.moto_patches import atomic_moto_writes

    atomic_moto_writes()

    from chalicelib import settings
    from chalicelib.store import tables

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    url = f"http://127.0.0.1:{port}"
    old = os.environ.get("AWS_ENDPOINT_URL")
    os.environ["AWS_ENDPOINT_URL"] = url
    settings.reload()
    tables.configure()
    try:
        tables.create_tables()
        yield url
    finally:
        if old is None:
            os.environ.pop("AWS_ENDPOINT_URL", None)
        else:
            os.environ["AWS_ENDPOINT_URL"] = old
        settings.reload()
        tables.configure()
        server.stop()


@pytest.fixture
def server(request):
    """A moto server for the test (threads racing through the service functions). It serves
    the in-process emulator the other tests share; `fresh_backend` empties it first."""
    if request.node.get_closest_marker("fresh_backend"):
        from moto.core.base_backend import BackendDict

        BackendDict.reset()
    with moto_server() as url:
        yield url


def sim_caller(msisdn: str, national_id: str | None = None):  # -> sessions.Caller
    """A live SIM session's caller, as the web layer would resolve it; the operator names
    `national_id` (a fresh one by default) as the SIM's holder."""
    from chalicelib.services.signin import sessions
    from chalicelib.services.sims import sim_records

    sim_records.operator_update(msisdn, national_id or ids.national_id(), "active", None)
    sim = sim_records.ensure_sim(msisdn)
    token, _ = sessions.open_session(sessions.SIM, msisdn=msisdn, ownership=int(sim.ownership))
    return sessions.resolve(token)


def own_device(caller, imei: str | None = None, imei2: str | None = None, brand: str = "Apple",
               model: str = "iPhone X") -> tuple[str, str]:
    """Register and activate, through the services (the racing tests have no HTTP client):
    a registrar registers the device (a fresh IMEI by default), the caller activates it.
    (imei, activation code)"""
    from chalicelib.services.devices import activation
    from chalicelib.services.registry import registrar

    imei = imei or ids.imei()
    code = registrar.register_device(imei, imei2, brand, model, "import")
    activation.activate(caller, imei, code)
    return imei, code


def at_once(moves: list[Callable[[], Any]]) -> list[Any]:
    """Run every move at the same moment, each on its own thread; each one's result, or the
    HamtaError it answered, in the order given. Any other exception fails the test: a
    fault is never a silent loser."""
    from chalicelib.errors import HamtaError

    barrier = threading.Barrier(len(moves))

    def run(move: Callable[[], Any]) -> Any:
        barrier.wait()
        try:
            return move()
        except HamtaError as error:
            return error

    with ThreadPoolExecutor(max_workers=len(moves)) as pool:
        return [f.result(timeout=120) for f in [pool.submit(run, m) for m in moves]]


# A national-ID cartable made through the services, for the racing tests of its password.
PASSWORD = "a-Strong-pass-1"
BIRTH = date(1991, 8, 3)


def nid_cartable() -> tuple[str, str]:
    """(national ID, its first SIM): a cartable registered with PASSWORD."""
    from chalicelib.services.signin import accounts

    nid, msisdn = ids.national_id(), ids.msisdn()
    accounts.register(sim_caller(msisdn, nid), nid, BIRTH, PASSWORD)
    return nid, msisdn


def fire(calls) -> list:
    """Run every call at the same moment; each one's outcome: ("ok", its result), or the
    HamtaError's (code, retry_after). A fault (anything else) fails the test."""
    from chalicelib.errors import HamtaError

    return [(o.code, o.retry_after) if isinstance(o, HamtaError) else ("ok", o)
            for o in at_once(calls)]


def codes(outcomes) -> list[str]:
    return [o[0] for o in outcomes]
