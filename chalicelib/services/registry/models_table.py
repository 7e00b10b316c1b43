"""The registry's model table by TAC (the IMEI's first 8 digits): what a registration's
brand and model are, and how many IMEIs a phone of that model carries.

Turkey's registry was abused by registering second IMEIs for single-SIM phones: a model's
SIM slots fix how many IMEIs one registration may name.
"""
from __future__ import annotations

from chalicelib import clock
from chalicelib.errors import HamtaError
from chalicelib.store.models_table import PhoneModelEntry, find_model

MAX_NAME = 100


def tac_of(imei: str) -> str:
    return imei[:8]


def clean_name(value: object) -> str:
    """A brand or model name: text, 1..100 characters once trimmed, no control characters."""
    if not isinstance(value, str):
        raise HamtaError("invalid_request")
    text = value.strip()
    if not text or len(text) > MAX_NAME or any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise HamtaError("invalid_request")
    try:
        text.encode("utf-8")  # lone surrogates never reach DynamoDB
    except UnicodeEncodeError:
        raise HamtaError("invalid_request") from None
    return text


def put_model(tac: str, brand: object, model: object, sim_slots: object) -> dict:
    """PUT /registrar/models/{tac}: add or replace the TAC's row (`tac`: identifiers.parse_tac)."""
    brand, model = clean_name(brand), clean_name(model)
    if isinstance(sim_slots, bool) or sim_slots not in (1, 2):
        raise HamtaError("invalid_request")
    PhoneModelEntry(tac, brand=brand, model=model, sim_slots=int(sim_slots), updated_at=clock.now()).save()
    return {"tac": tac, "brand": brand, "model": model, "sim_slots": int(sim_slots)}


def describe(imei: str) -> dict | None:
    """{"brand", "model", "sim_slots"} of the IMEI's TAC, or None if the table lacks it."""
    entry = find_model(tac_of(imei))
    if entry is None:
        return None
    return {"brand": entry.brand, "model": entry.model, "sim_slots": int(entry.sim_slots)}


def fill_registration(
    imei: str, imei2: str | None, brand: str | None, model: str | None, one_by_one: bool = False
) -> tuple[str | None, str | None]:
    """The brand and model a registration records, checked against the TAC's row.

    Left out, they come from the TAC. When the TAC is known, the IMEI count must fit its
    SIM slots (400 imei_count_mismatch), except for repair parts (`one_by_one`: each IMEI
    of a dual board is a part of its own). An unknown TAC registers as given.
    """
    known = describe(imei)
    if known is None:
        return brand, model
    if one_by_one:
        return brand or known["brand"], model or known["model"]
    if (known["sim_slots"] == 1 and imei2) or (known["sim_slots"] == 2 and not imei2):
        raise HamtaError("imei_count_mismatch")
    return brand or known["brand"], model or known["model"]
