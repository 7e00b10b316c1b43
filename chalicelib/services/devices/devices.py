"""A cartable's devices (مدیریت دستگاه‌ها): listing, rendering, visibility and where a new one goes.

Visibility is the one rule every device route shares: a device is in a SIM session's
cartable iff its `sim_key` is the session's (msisdn, ownership) and that SIM is live; in a
national-ID session's cartable iff its `owner_nid` is the cartable's. Anything else answers
exactly like an IMEI nobody registered (404 not_found).
"""
from __future__ import annotations

from datetime import datetime, timezone

from pynamodb.exceptions import TransactWriteError

from chalicelib import clock
from chalicelib.errors import HamtaError
# UNCLAIMED, Target: named here too, as devices.UNCLAIMED and devices.Target.
from chalicelib.services.signin.callers import UNCLAIMED, Caller, Target  # noqa: F401
# RaceLost: the device changed between our read and our transaction (read again).
from chalicelib.store.base import RaceLost, lost_race, transact_write
from chalicelib.store.batch_read import read_together
from chalicelib.store.challenges import CounterItem
from chalicelib.store.devices import DeviceModel, find_device
from chalicelib.store.history import HistoryModel
from chalicelib.store.read_ahead import NOTHING, ReadAhead, Wanted
from chalicelib.store.sims import SimModel

ACTIVE = "active"
TRANSFER_PENDING = "transfer_pending"
BLOCKED = "blocked"


def iso(epoch: float) -> str:
    """Epoch seconds -> ISO 8601 UTC with a Z, to the second."""
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def offer_live(device: DeviceModel, now: float | None = None) -> bool:
    """A sale's code is good: offered and not yet expired (checked here, never by TTL)."""
    now = clock.now() if now is None else now
    return device.state == TRANSFER_PENDING and (device.offer_expires_at or 0) > now


def render(device: DeviceModel) -> dict:
    """The device as API.md shows it."""
    state, code = device.state, device.activation_code
    if state == TRANSFER_PENDING and not offer_live(device):
        # The sale's code died unused: the device is simply active again with its old code.
        state, code = ACTIVE, device.prior_code or code
    imeis = [device.imei] + ([device.imei2] if device.imei2 else [])
    joined = device.joined_at if device.joined_at is not None else (device.registered_at or 0) * 1e6
    shown = {
        "imeis": imeis,
        "brand": device.brand,
        "model": device.model,
        "activation_code": code,
        "msisdn": device.msisdn,
        "status": state if state in (ACTIVE, TRANSFER_PENDING, BLOCKED) else ACTIVE,
        "registered_at": iso(joined / 1_000_000),
    }
    if state == BLOCKED:
        shown["block_reason"] = device.block_reason
    if state == TRANSFER_PENDING:  # the page shows the sale's code with its expiry again
        shown["transfer_expires_at"] = iso(device.offer_expires_at)
    return shown


def list_devices(caller: Caller) -> list[dict]:
    """GET /devices: one Query on an index, in the order devices joined the cartable."""
    return [render(device) for device in caller.devices_query()]


def in_cartable(caller: Caller, device: DeviceModel) -> bool:
    """Is this device in the cartable the caller's session opens?"""
    return caller.owns(device)


def find_own(caller: Caller, imei: str) -> DeviceModel:
    """The caller's device either IMEI names; anyone else's answers like an unknown IMEI."""
    device = find_device_for(caller, imei)
    if device is None or not in_cartable(caller, device):
        raise HamtaError("not_found")
    return device


def cartable_numbers(caller: Caller) -> set[str]:
    """The SIM numbers that are the caller's own (shown unmasked in history)."""
    return caller.own_numbers()


def _sims_to_read(caller: Caller, also: tuple[str | None, ...]) -> tuple[set[str], dict[str, SimModel]]:
    """(numbers still to read, SIM records already held): a national-ID cartable's SIMs
    plus `also`; a SIM session already holds its own SIM."""
    known = caller.sims_held()
    wanted = set(n for n in also if n) | caller.sims_to_read()
    return wanted - set(known), known


def prefetch(imei: str | None) -> Wanted:
    """What a move by this IMEI reads first, for `web.caller_with` to fetch with the
    session (nothing for an IMEI that will be refused anyway: None)."""
    return [(DeviceModel, [imei])] if imei else []


def find_device_for(caller: Caller, imei: str, ahead: ReadAhead = NOTHING) -> DeviceModel | None:
    """`find_device`, starting from the item read ahead if the route asked."""
    found = ahead.take([(DeviceModel, [imei])]).get(DeviceModel) or [None]
    item = found[0]
    if item is not None and item.main_imei:
        return find_device(item.main_imei)
    return item


def read_device_and_sims(
    caller: Caller, imei: str, also: tuple[str | None, ...] = (), extra: list | None = None,
    extra_found: dict | None = None, ahead: ReadAhead = NOTHING,
) -> tuple[DeviceModel | None, dict[str, SimModel]]:
    """The device either IMEI names and the SIM records a move needs.

    The device item and the SIMs come in ONE BatchGetItem over both tables (strongly
    consistent). When the device was read ahead (with the session), the SIMs come in one call
    with the main IMEI's item if the IMEI named was a second IMEI's alias: activate and
    recover stay at 4 calls by either IMEI. `extra` [(model, keys)] of other tables is read
    in that same call, into `extra_found` {model: [items]}.
    """
    wanted, known = _sims_to_read(caller, also)
    if ahead.holds(DeviceModel, imei):
        item = (ahead.take([(DeviceModel, [imei])]).get(DeviceModel) or [None])[0]
        main = [item.main_imei] if item is not None and item.main_imei else []
        found = read_together([(DeviceModel, main), (SimModel, sorted(wanted)), *(extra or [])])
        if main:
            item = (found.get(DeviceModel) or [None])[0]
    else:
        found = read_together([(DeviceModel, [imei]), (SimModel, sorted(wanted)), *(extra or [])])
        item = (found.get(DeviceModel) or [None])[0]
        if item is not None and item.main_imei:
            item = find_device(item.main_imei)
    for sim in found.get(SimModel, []):
        known[sim.msisdn] = sim
    if extra_found is not None:
        extra_found.update({model: found.get(model, []) for model, _ in extra or []})
    return item, known


def joined_now() -> int:
    """A device's row position in its new cartable: microseconds of the move."""
    return int(clock.now() * 1_000_000)


def place(device: DeviceModel, target: Target) -> None:
    """Put the device in the target cartable (in memory; the caller saves it in a transaction)."""
    if target.msisdn is not None:
        device.msisdn = target.msisdn
        device.ownership = target.ownership
    device.sim_key = target.sim_key
    device.owner_nid = target.owner_nid
    device.joined_at = joined_now()
    device.awaiting_recovery = None


def commit_move(
    device: DeviceModel,
    events: list[HistoryModel],
    guard_key: str | None = None,
    condition=None,
    checks: list[tuple] = (),
) -> None:
    """Write a device's move (or change) as one TransactWriteItems.

    Conditioned on the version read (PynamoDB adds it) and on `condition`; with
    `guard_key` (an attempt counter the caller reserved a guess on before checking it,
    limits.reserve), the counter is cleared in the same transaction, so a success costs
    no extra call. `checks`: (model, key, condition) that must hold too (a reset hold).
    The device moved meanwhile, or a check failed: RaceLost.
    """
    try:
        with transact_write() as tx:
            tx.save(device, condition=condition)
            for event in events:
                # Two events of one type in the same microsecond must not overwrite each other.
                tx.save(event, condition=HistoryModel.event_key.does_not_exist())
            if guard_key:
                tx.delete(CounterItem(guard_key))
            for model, key, check in checks:
                tx.condition_check(model, key, condition=check)
    except TransactWriteError as error:
        if lost_race(error):
            raise RaceLost() from None
        raise

