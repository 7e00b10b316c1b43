"""Activation (فعال سازی تلفن همراه): a registrar's or an offered device joins the caller's cartable.

Wrong code, unknown IMEI and "not offered" answer alike (404 not_found) and count alike on
"activate#<imei>", so guessing IMEIs teaches nothing and costs the same. A known device
counts on its main IMEI: the two IMEIs of one phone share one budget of guesses. Each guess
is reserved on that budget before the code is compared (limits.reserve), so a locked IMEI
answers 429 unchecked, whether or not the code was right, and N guesses fired at once get
at most ACTIVATION_MAX_ATTEMPTS compared.
"""
from __future__ import annotations

from aws_lambda_powertools import Logger

from chalicelib import clock, keys, log, settings
from chalicelib.errors import HamtaError
from chalicelib.services import limits
from chalicelib.services.channels import notices
from chalicelib.services.devices import blocking, devices, transfer_records
from chalicelib.services.signin.sessions import Caller
from chalicelib.store.base import retry_on_race
from chalicelib.store.devices import DeviceModel, find_device
from chalicelib.store.history import new_event
from chalicelib.store.read_ahead import NOTHING, ReadAhead

logger = Logger(service=log.SERVICE, child=True)

# Compared against when there is no device, so an unknown IMEI costs one compare too.
_NO_CODE = "------"


def activate(
    caller: Caller, imei: str, code: str, msisdn: str | None = None, ahead: ReadAhead = NOTHING,
) -> dict:
    """POST /devices/activate -> the device as now in the caller's cartable (on `msisdn`,
    one of a national-ID cartable's SIMs, if named). `ahead`: what the route read ahead."""
    # A session with no SIM record to read (a SIM session holds its own) knows where the
    # device would go now: a dead SIM, or a number not its own, is refused before any read.
    target = None if caller.sims_to_read() else caller.target(msisdn, caller.sims_held())
    tries = []

    def attempt() -> dict:
        nonlocal target
        first = not tries
        tries.append(1)
        if first:
            # The device (read with the session if the route asked) and whatever SIM records
            # the target needs (a national-ID cartable's; none for a SIM session) in one call.
            device, sims = devices.read_device_and_sims(caller, imei, ahead=ahead)
            target = target or caller.target(msisdn, sims)
        else:
            device = find_device(imei)
        key = f"activate#{device.imei if device is not None else imei}"
        blocking.refuse_if_blocked(caller, device)
        if device is not None and devices.in_cartable(caller, device):
            raise HamtaError("already_in_cartable")
        if first:
            # The guess is paid for before it is checked: N at once get at most the budget.
            limits.reserve(key, settings.ACTIVATION_MAX_ATTEMPTS, settings.ACTIVATION_LOCK_SECONDS)
        if not _code_opens(device, code):
            # A later attempt lost a race to another activation: its code is spent, not wrong.
            raise HamtaError("not_found")
        assert device is not None
        _move(device, target, key)
        logger.info("device activated", extra={"imei": device.imei})
        return devices.render(device)

    return retry_on_race(attempt)


def _code_opens(device: DeviceModel | None, code: str) -> bool:
    if device is None:
        keys.same(code, _NO_CODE)
        return False
    expected = device.activation_code or _NO_CODE
    matches = keys.same(code, expected)
    if device.state == devices.UNCLAIMED:
        return matches
    return devices.offer_live(device) and matches


def _move(device: DeviceModel, target: devices.Target, key: str) -> None:
    """The device leaves wherever it was (the seller's cartable, on a sale) in one transaction."""
    now = clock.now()
    sale = device.state == devices.TRANSFER_PENDING
    seller = device.msisdn
    told = list(device.notify_numbers or [])  # the seller's SIMs told of the offer
    records = transfer_records.for_sale(device, target, now) if sale else []
    devices.place(device, target)
    device.state = devices.ACTIVE
    # The code used stays the device's code; a sale's code is spent with the offer.
    device.offer_expires_at = None
    device.prior_code = None
    device.notify_numbers = None
    if sale:
        event = new_event(device.imei, "transferred", now, msisdn=target.msisdn, counterparty=seller)
    else:
        event = new_event(device.imei, "activated", now, msisdn=target.msisdn)
    devices.commit_move(device, [event, *records], key)
    if sale:  # the seller's SIMs: the phone has left their cartable for good
        notices.tell(told, notices.sold_text(device.brand, device.model))
