"""Sale (انتقال مالکیت/فروش، تولید کد فعال سازی): the owner offers a device with a fresh code.

The buyer's activation with that code (services/devices/activation.py) moves the device out of the
seller's cartable. A sale cannot be undone, so it needs the Hamta password and waits out a
reset hold (services/devices/irreversible.py), and every SIM of the cartable is told. Each offer
issues a single-use code that dies at `offer_expires_at`; offering a device already on
sale answers its live code and sends nothing; withdrawing restores the code shown before.
"""
from __future__ import annotations

from aws_lambda_powertools import Logger

from chalicelib import clock, log, settings
from chalicelib.errors import HamtaError
from chalicelib.services.channels import notices
from chalicelib.services.devices import devices, irreversible
from chalicelib.services.registry import registrar
from chalicelib.services.signin.sessions import Caller
from chalicelib.store.base import retry_on_race
from chalicelib.store.history import new_event
from chalicelib.store.people import PersonModel
from chalicelib.store.read_ahead import NOTHING, ReadAhead

logger = Logger(service=log.SERVICE, child=True)


def offer(
    caller: Caller, imei: str, password: object = None, tell_self: bool = True,
    ahead: ReadAhead = NOTHING,
) -> dict:
    """POST /devices/{imei}/transfer -> {"activation_code", "expires_at", "replayed"}.

    Checks in API.md's order: not the caller's 404, the password, 409 device_blocked,
    409 reset_hold. `replayed`: the device was on sale already (its code, nothing sent).
    `tell_self=False` (USSD, which texts the code to the seller): the session's own SIM
    gets no notice besides its code. `ahead`: what the route read ahead."""
    step = irreversible.StepUp(caller, password)

    def attempt() -> dict:
        # The device, a national-ID cartable's SIM records (who is told) and a SIM
        # session's national-ID person (whose password it re-enters), in one call.
        linked = caller.linked_national_id()
        extra = [(PersonModel, [linked])] if caller.person is None and linked else []
        found: dict = {}
        device, sims = devices.read_device_and_sims(
            caller, imei, extra=extra, extra_found=found, ahead=ahead)
        if device is None or not devices.in_cartable(caller, device):
            raise HamtaError("not_found")
        clearance = step.clear((found.get(PersonModel) or [None])[0])
        try:
            if device.state == devices.BLOCKED:
                raise HamtaError("device_blocked")
            clearance.refuse_if_held()
        except HamtaError:
            clearance.give_back()  # the password was right: its attempt is not a failure
            raise
        if devices.offer_live(device):
            clearance.give_back()
            return _shown(device, replayed=True)
        now = clock.now()
        # Keep the code shown before the first offer, not an earlier offer's code.
        if device.state != devices.TRANSFER_PENDING:
            device.prior_code = device.activation_code
        device.state = devices.TRANSFER_PENDING
        device.activation_code = registrar.new_activation_code()
        device.offer_expires_at = now + settings.TRANSFER_CODE_TTL_SECONDS
        told = clearance.told(caller, device, sims)
        device.notify_numbers = told or None  # told again when the sale completes
        event = new_event(device.imei, "transfer_offered", now, msisdn=device.msisdn)
        # RaceLost (the device moved, or a reset hold began): read again and decide again.
        devices.commit_move(device, [event], clearance.guard_key, checks=clearance.checks())
        logger.info("transfer offered", extra={"imei": device.imei})
        skip = set() if tell_self else {caller.msisdn}
        notices.tell([n for n in told if n not in skip],
                     notices.sale_offered_text(device.brand, device.model))
        return _shown(device, replayed=False)

    return retry_on_race(attempt)


def _shown(device, replayed: bool) -> dict:
    return {
        "activation_code": device.activation_code,
        "expires_at": devices.iso(device.offer_expires_at),
        "replayed": replayed,
    }


def withdraw(caller: Caller, imei: str) -> None:
    """DELETE /devices/{imei}/transfer: the sale's code is dead; nothing offered is a no-op."""
    def attempt() -> None:
        device = devices.find_own(caller, imei)
        if device.state != devices.TRANSFER_PENDING:
            return
        device.state = devices.ACTIVE
        device.activation_code = device.prior_code or device.activation_code
        device.prior_code = None
        device.offer_expires_at = None
        device.notify_numbers = None
        event = new_event(device.imei, "transfer_cancelled", clock.now(), msisdn=device.msisdn)
        devices.commit_move(device, [event])  # RaceLost: read again

    retry_on_race(attempt)

