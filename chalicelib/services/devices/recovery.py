"""Recovery (بازیابی اطلاعات سیم کارت واگذار شده, user guide steps 3 to 6): POST /devices.

A device whose SIM ownership died (expired or changed hands) while it was in no
national-ID cartable awaits recovery. Whoever the operator named as the holder of that
old ownership may bring it, with its activation code and history, into their cartable by
typing the old number. Each typed number is reserved on "recover#<imei>" before it is
checked (limits.reserve), so a locked IMEI answers 429 unchecked, even to the right number.
"""
from __future__ import annotations

from aws_lambda_powertools import Logger

from chalicelib import clock, keys, log, settings
from chalicelib.errors import HamtaError
from chalicelib.services import limits
from chalicelib.services.devices import blocking, devices
from chalicelib.services.sims import sim_records
from chalicelib.services.signin.sessions import Caller
from chalicelib.store.base import retry_on_race
from chalicelib.store.devices import DeviceModel
from chalicelib.store.history import new_event
from chalicelib.store.read_ahead import NOTHING, ReadAhead
from chalicelib.store.sims import SimModel

logger = Logger(service=log.SERVICE, child=True)


def recover(
    caller: Caller,
    imei: str,
    previous: str | None = None,
    msisdn: str | None = None,
    ahead: ReadAhead = NOTHING,
) -> dict:
    """POST /devices -> the device as now in the caller's cartable. `previous`: the number
    the device was on, typed by the caller; `msisdn`: the cartable's SIM it goes on;
    `ahead`: what the route read ahead."""
    if not caller.is_open():
        raise HamtaError("sim_inactive")  # a dead SIM's session: refused before anything is read
    tries = []

    def attempt() -> dict:
        first = not tries
        tries.append(1)
        # The number typed is, when right, the SIM the device was on: read it (and a
        # national-ID cartable's SIMs) with the device in one call.
        device, sims = devices.read_device_and_sims(caller, imei, also=(previous,), ahead=ahead)
        if device is None or device.state == devices.UNCLAIMED:
            raise HamtaError("not_found")
        key = f"recover#{device.imei}"  # both IMEIs of a phone share one budget of guesses
        blocking.refuse_if_blocked(caller, device)
        if devices.in_cartable(caller, device):
            raise HamtaError("already_in_cartable")
        if device.msisdn and device.msisdn not in sims:
            old_record = sim_records.get_sim(device.msisdn)  # a wrong or missing number
            if old_record is not None:
                sims[device.msisdn] = old_record
        old_sim = sims.get(device.msisdn) if device.msisdn else None
        if not _awaits_recovery(device, old_sim):
            raise HamtaError("not_found")  # in someone's live or national-ID cartable
        if previous is None:
            raise HamtaError("previous_msisdn_required")
        target = caller.target(msisdn, sims, allow_no_sim=True)
        if first:
            # The guess is paid for before it is checked: N at once get at most the budget.
            limits.reserve(key, settings.RECOVERY_MAX_ATTEMPTS, settings.RECOVERY_LOCK_SECONDS)
        if not _rightful(caller, device, old_sim, previous):
            raise HamtaError("not_found")
        if device.state == devices.BLOCKED:
            raise HamtaError("device_blocked")  # its rightful holder: blocked, not lost
        _move(device, target, previous, key)  # RaceLost: read again; someone's win is a 404
        logger.info("device recovered", extra={"imei": device.imei})
        return devices.render(device)

    return retry_on_race(attempt)


def _awaits_recovery(device: DeviceModel, old_sim: SimModel | None) -> bool:
    """In no national-ID cartable, and its SIM ownership is dead (derived now, so it holds
    before the expiry job has run) or the job has already marked it."""
    if device.owner_nid or not device.msisdn or device.ownership is None:
        return False
    return bool(device.awaiting_recovery) or sim_records.ownership_is_dead(
        old_sim, int(device.ownership)
    )


def _rightful(caller: Caller, device: DeviceModel, old_sim: SimModel | None, previous: str) -> bool:
    """The typed number is the one the device was on, and the operator's holder of that
    ownership is the caller (the holder of the session's SIM now, or the cartable's ID)."""
    same_number = keys.same(previous, device.msisdn or "")
    if old_sim is None or not same_number:
        return False
    holder = sim_records.holder_of(old_sim, int(device.ownership))
    return holder is not None and caller.national_id is not None and holder == caller.national_id


def _move(device: DeviceModel, target: devices.Target, previous: str, key: str) -> None:
    now = clock.now()
    if device.state == devices.TRANSFER_PENDING:
        # An offer made from the dead cartable dies with it; the old code comes back.
        device.state = devices.ACTIVE
        device.activation_code = device.prior_code or device.activation_code
        device.prior_code = None
        device.offer_expires_at = None
    devices.place(device, target)
    event = new_event(device.imei, "recovered", now, msisdn=target.msisdn, counterparty=previous)
    # owner_nid still empty: a national-ID cartable that took the device meanwhile wins.
    devices.commit_move(device, [event], key, condition=DeviceModel.owner_nid.does_not_exist())
