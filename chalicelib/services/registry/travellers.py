"""Traveller registration (ثبت مسافری): customs registers a traveller's phone.

The passport is kept only as an HMAC with the server's secret (the quota item's key and a
registration's `passport_hash`), never in clear. The device's registration, the traveller
registration and the passport's quota are one transaction: the quota item is saved on the
version read, so two offices registering one passport at once cannot both use its last
slot, and a registered IMEI fails the whole move (409 already_registered).

The activation code goes by SMS to the traveller's SIM after the commit, counted by the SMS
gate inside the transaction (CUSTOMS_SMS_PER_DAY per customs key: 429, nothing stored).
Should the provider refuse, nothing is lost: the registration stands and the SIM's own cartable shows the code in
GET /travellers until the device is activated.
"""
from __future__ import annotations

import secrets
from datetime import date, datetime, timezone

from aws_lambda_powertools import Logger
from pynamodb.exceptions import TransactWriteError

from chalicelib import clock, keys, log, settings, sms, sms_gate
from chalicelib.errors import HamtaError
from chalicelib.identifiers import mask_msisdn
from chalicelib.services.devices import devices
from chalicelib.services.registry import models_table, registrar
from chalicelib.services.signin.sessions import Caller
from chalicelib.store.base import RaceLost, failed_condition, lost_race, retry_on_race, transact_write
from chalicelib.store.batch_read import read_together
from chalicelib.store.devices import DeviceModel
from chalicelib.store.models_table import PhoneModelEntry
from chalicelib.store.sims import SimModel
from chalicelib.store.travellers import TravellerModel

logger = Logger(service=log.SERVICE, child=True)

YEAR_SECONDS = 365 * 24 * 3600
AWAITING, ACTIVATED = "awaiting_activation", "activated"
def today() -> date:
    """The day in Iran, where the traveller entered."""
    return datetime.fromtimestamp(clock.now(), tz=clock.TEHRAN).date()


def utc_today() -> date:
    return datetime.fromtimestamp(clock.now(), tz=timezone.utc).date()


def window_open(entry_date: date) -> bool:
    """Not in the future and within TRAVELLER_WINDOW_DAYS. Tehran runs 3½ hours ahead of
    UTC: a date is in the future only once it is past Iran's day, and too old only once it
    is past the window by UTC's day, so a form filled in either calendar day is accepted."""
    if entry_date > today():
        return False
    return (utc_today() - entry_date).days <= settings.TRAVELLER_WINDOW_DAYS


def passport_key(passport: str) -> str:
    return "passport#" + keys.keyed_hash("passport", passport)


def register(
    office: str,
    passport: str,
    entry_date: date,
    msisdn: str,
    imei: str,
    imei2: str | None,
    brand: object,
    model: object,
) -> dict:
    """POST /customs/travellers -> {"registration_id"} (the identifiers already parsed:
    identifiers.parse_passport, parse_entry_date, parse_msisdn, parse_imei)."""
    brand, model = models_table.clean_name(brand), models_table.clean_name(model)
    if imei2 == imei:
        raise HamtaError("invalid_request")
    if not window_open(entry_date):
        raise HamtaError("registration_window_closed")
    key = passport_key(passport)

    def attempt():
        quota, sim, tac = _read(key, msisdn, imei)
        if tac is not None and ((tac.sim_slots == 1 and imei2) or (tac.sim_slots == 2 and not imei2)):
            raise HamtaError("imei_count_mismatch")
        now = clock.now()
        recent = [t for t in (quota.times or []) if t > now - YEAR_SECONDS]
        if len(recent) >= settings.TRAVELLER_DEVICES_PER_YEAR:
            raise HamtaError("traveller_quota_used")
        quota.times = recent + [now]
        code = registrar.new_activation_code()
        registration_id = "TR" + secrets.token_hex(6).upper()
        registration = TravellerModel(
            "reg#" + registration_id,
            registration_id=registration_id,
            msisdn=msisdn,
            # A number the operator has not told us about will start at ownership 1.
            ownership=int(sim.ownership) if sim is not None else 1,
            registered_at=now,
            imei=imei,
            imei2=imei2,
            brand=brand,
            model=model,
            entry_date=entry_date.isoformat(),
            passport_hash=key.split("#", 1)[1],
            office=office,
        )
        saves = registrar.registration_saves(imei, imei2, brand, model, "passenger", now, code)
        saves += [(quota, None), (registration, TravellerModel.key.does_not_exist())]
        # The SMS gate's counts of the code ride in the same transaction: past the customs
        # key's day (429) or the budget (503) nothing is stored.
        customs, budget = sms_gate.customs_write(office), sms_gate.code_write()
        if customs is None:
            raise sms_gate.customs_refusal()
        counts = [w for w in (customs, budget) if w is not None]
        kinds = {"save": len(saves), "update": len(counts)}
        try:
            with transact_write() as tx:
                for item, condition in saves:
                    tx.save(item, condition=condition)
                for count in counts:
                    tx.update(count.item, actions=count.actions, condition=count.condition)
        except TransactWriteError as error:
            if failed_condition(error, kinds, "update", 0):
                raise sms_gate.customs_refusal() from None
            if budget is not None and failed_condition(error, kinds, "update", 1):
                raise sms_gate.budget_refusal() from None
            if not lost_race(error):
                raise
            taken = [i for i in (imei, imei2) if i and DeviceModel.count(i, consistent_read=True)]
            if taken:
                raise HamtaError("already_registered") from None
            raise RaceLost() from None  # another registration of this passport landed first: count again
        logger.info("traveller registered", extra={"registration_id": registration_id, "office": office})
        try:
            sms_gate.deliver_code(msisdn, sms.traveller_activation_text(imei, code), budget)
        except HamtaError:  # the registration stands: GET /travellers shows the code
            logger.warning("traveller code not sent", extra={"to": mask_msisdn(msisdn)})
        return {"registration_id": registration_id}

    return retry_on_race(attempt)


def _read(key: str, msisdn: str, imei: str) -> tuple[TravellerModel, SimModel | None, PhoneModelEntry | None]:
    """The passport's quota item, the SIM's record and the TAC's row, in one BatchGetItem."""
    found = read_together([
        (TravellerModel, [key]), (SimModel, [msisdn]), (PhoneModelEntry, [models_table.tac_of(imei)]),
    ])
    quota = (found.get(TravellerModel) or [None])[0]
    sim = (found.get(SimModel) or [None])[0]
    tac = (found.get(PhoneModelEntry) or [None])[0]
    return quota or TravellerModel(key, times=[]), sim, tac


def list_registrations(caller: Caller) -> list[dict]:
    """GET /travellers: registrations whose SIM is the cartable's (in the ownership it has
    there), newest first. Awaiting ones show their activation code: the SIM's holder is
    whom the SMS was for."""
    wanted = caller.sim_ownerships()
    rows = []
    for msisdn, ownership in wanted.items():
        rows += [
            r for r in TravellerModel.by_msisdn.query(msisdn, scan_index_forward=False)
            if int(r.ownership or 1) == ownership
        ]
    rows.sort(key=lambda r: r.registered_at, reverse=True)
    by_imei = {}
    if rows:
        by_imei = {d.imei: d for d in DeviceModel.batch_get(sorted({r.imei for r in rows}))}
    shown = []
    for row in rows:
        device = by_imei.get(row.imei)
        awaiting = device is not None and device.state == devices.UNCLAIMED
        item = {
            "registration_id": row.registration_id,
            "imeis": [row.imei] + ([row.imei2] if row.imei2 else []),
            "brand": row.brand,
            "model": row.model,
            "entry_date": row.entry_date,
            "msisdn": row.msisdn,
            "status": AWAITING if awaiting else ACTIVATED,
        }
        if awaiting:
            item["activation_code"] = device.activation_code
        shown.append(item)
    return shown
