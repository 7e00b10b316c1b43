"""Sale (انتقال مالکیت/فروش، تولید کد فعال سازی): the owner offers a device with a fresh code.

The buyer's activation with that code (services/activation.py) moves the device out of the
seller's cartable. Each offer issues a new single-use code that dies at `offer_expires_at`;
asking again kills the previous one, and withdrawing restores the code shown before.
"""
from __future__ import annotations

from aws_lambda_powertools import Logger

from chalicelib import clock, log, settings
from chalicelib.errors import HamtaError
from chalicelib.services import devices, registrar
from chalicelib.services.sessions import Caller
from chalicelib.store.base import retry_on_race
from chalicelib.store.history import new_event

logger = Logger(service=log.SERVICE, child=True)


def offer(caller: Caller, imei: str, guard_key: str | None = None) -> dict:
    """POST /devices/{imei}/transfer -> {"activation_code", "expires_at"}. `guard_key`: an
    attempt counter cleared in the offer's transaction (a USSD sale's password check)."""
    def attempt() -> dict:
        device = devices.find_own(caller, imei)
        if device.state == devices.BLOCKED:
            raise HamtaError("device_blocked")
        now = clock.now()
        code = registrar.new_activation_code()
        # Keep the code shown before the first offer, not an earlier offer's code.
        if device.state != devices.TRANSFER_PENDING:
            device.prior_code = device.activation_code
        device.state = devices.TRANSFER_PENDING
        device.activation_code = code
        device.offer_expires_at = now + settings.TRANSFER_CODE_TTL_SECONDS
        event = new_event(device.imei, "transfer_offered", now, msisdn=device.msisdn)
        devices.commit_move(device, [event], guard_key)  # RaceLost: read again and offer again
        logger.info("transfer offered", extra={"imei": device.imei})
        return {"activation_code": code, "expires_at": devices.iso(device.offer_expires_at)}

    return retry_on_race(attempt)


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
        event = new_event(device.imei, "transfer_cancelled", clock.now(), msisdn=device.msisdn)
        devices.commit_move(device, [event])  # RaceLost: read again

    retry_on_race(attempt)
