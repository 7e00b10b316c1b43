"""The SIMs of a national-ID cartable: their statuses, joining one (devices move in), removing one.

A SIM counts for the cartable only during the ownership it was added in (person.sims
{msisdn: {"ownership", "added_at"}}); its status there is that ownership's status. A SIM
joins in ONE TransactWrite: the person (version-checked, created if new), the SIM's
cartable link (version-checked) and owner_nid on every device of the SIM cartable
(msisdn, ownership) (version-checked), so a racing move makes it fail whole. A SIM with
more devices than one transaction holds (98: a shop's SIM, not a person's) joins with its
first 98; the rest follow in transactions of 100, each device conditioned on still being
on the SIM. A fault between them leaves those devices in the SIM cartable, where the SIM
session still sees them, and adding the SIM again (POST /sims/verify) brings them in.
"""
from __future__ import annotations

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException, TransactWriteError

from chalicelib import clock, log, settings
from chalicelib.errors import HamtaError
from chalicelib.services.channels import notices
from chalicelib.services.sims import sim_records
from chalicelib.store.base import (
    RaceLost,
    lost_race,
    plain_map,
    retry_on_race,
    transact_write,
)
from chalicelib.store.devices import DeviceModel, sim_key
from chalicelib.store.people import PersonModel
from chalicelib.store.sims import SimModel

logger = Logger(service=log.SERVICE, child=True)

# A TransactWrite holds at most 100 items: the person and the SIM leave room for 98 devices;
# the devices of a SIM that holds more join in further transactions of 100 (`_adopt_rest`).
MAX_DEVICES_PER_JOIN = 98
MAX_DEVICES_PER_TRANSACTION = 100
DAY = 24 * 3600


def entries(person: PersonModel) -> dict[str, dict]:
    """person.sims as {msisdn: {"ownership": int, "added_at": float}}."""
    return {
        msisdn: {"ownership": int(e.get("ownership") or 0), "added_at": e.get("added_at") or 0}
        for msisdn, e in plain_map(person.sims).items()
    }


def sims_of(person: PersonModel) -> dict[str, SimModel]:
    """The SIM items of the cartable's numbers (one BatchGet)."""
    numbers = list(entries(person))
    if not numbers:
        return {}
    return {sim.msisdn: sim for sim in SimModel.batch_get(numbers)}


def list_sims(person: PersonModel, sims: dict[str, SimModel] | None = None) -> list[dict]:
    """[{msisdn, status}] in the order the SIMs joined; status active|expired|transferred."""
    sims = sims_of(person) if sims is None else sims
    rows = sorted(entries(person).items(), key=lambda kv: (kv[1]["added_at"], kv[0]))
    listed = []
    for msisdn, entry in rows:
        sim = sims.get(msisdn)
        status = (
            sim_records.ownership_status(sim, entry["ownership"])
            if sim is not None
            else sim_records.EXPIRED
        )
        listed.append({"msisdn": msisdn, "status": status})
    return listed


def active_numbers(person: PersonModel, sims: dict[str, SimModel] | None = None) -> list[str]:
    return [row["msisdn"] for row in list_sims(person, sims) if row["status"] == sim_records.ACTIVE]


def active_sims(person: PersonModel, known: dict[str, SimModel] | None = None) -> list[str]:
    """The active SIMs of the cartable (who a notice goes to); the SIM records not in
    `known` are read in one BatchGetItem (none when all are held: a one-SIM cartable)."""
    known = dict(known or {})
    missing = [n for n in entries(person) if n not in known]
    if missing:
        known.update({sim.msisdn: sim for sim in SimModel.batch_get(missing)})
    return active_numbers(person, known)


def is_active_in(person: PersonModel, sim: SimModel) -> bool:
    """`sim` is in the cartable for its current ownership, and live."""
    entry = entries(person).get(sim.msisdn)
    return (
        entry is not None
        and entry["ownership"] == int(sim.ownership)
        and sim_records.is_live(sim)
    )


def join(person: PersonModel, sim: SimModel, *, create: bool = False) -> None:
    """Put `sim` (its current ownership) into `person`'s cartable, with its devices, in one
    TransactWrite. Other changes already made to `person` (a new person, a temporary
    password) are written in the same transaction. Raises RaceLost if anything moved.
    """
    nid = person.national_id
    ownership = int(sim.ownership)
    key = sim_key(sim.msisdn, ownership)
    listed = entries(person)
    listed[sim.msisdn] = {"ownership": ownership, "added_at": clock.now()}
    person.sims = listed
    # Devices already in a national-ID cartable stay where they are (never pull one out
    # of somebody else's; ours need no write).
    devices = [d for d in DeviceModel.by_sim.query(key) if not d.owner_nid]
    devices, rest = devices[:MAX_DEVICES_PER_JOIN], devices[MAX_DEVICES_PER_JOIN:]
    try:
        with transact_write() as t:
            if create:
                t.save(person, condition=PersonModel.national_id.does_not_exist())
            else:
                t.save(person)  # version condition added by PynamoDB
            t.update(
                sim,
                actions=[SimModel.cartable_nid.set(nid), SimModel.cartable_ownership.set(ownership)],
                condition=SimModel.ownership == ownership,
            )
            for device in devices:
                t.update(
                    device,
                    actions=[DeviceModel.owner_nid.set(nid)],
                    condition=DeviceModel.sim_key == key,
                )
    except TransactWriteError as error:
        if lost_race(error):
            raise RaceLost() from error
        raise
    if rest:
        try:
            _adopt_rest(nid, key, rest)
        except (PynamoDBException, BotoCoreError, ClientError, HamtaError) as error:
            # The SIM has joined: its devices not yet moved stay in the SIM cartable (seen
            # there, lost nowhere) until the SIM is added again. Not worth a failed request.
            logger.warning("devices left to adopt", extra={"error": type(error).__name__, "left": len(rest)})


def _adopt_rest(nid: str, key: str, devices: list[DeviceModel] | None = None) -> None:
    """owner_nid on the devices of SIM cartable `key` still without one, 100 a transaction.

    Each device is conditioned on still being on the SIM and in no other cartable (ours
    again is harmless: the index may lag behind the join's own writes). A lost race reads
    the SIM cartable again (retry_on_race)."""
    first = [devices] if devices is not None else []

    def attempt() -> None:
        pending = first.pop() if first else [d for d in DeviceModel.by_sim.query(key) if not d.owner_nid]
        for start in range(0, len(pending), MAX_DEVICES_PER_TRANSACTION):
            try:
                with transact_write() as t:
                    for device in pending[start:start + MAX_DEVICES_PER_TRANSACTION]:
                        # No version condition: a lagging index may hand back a device
                        # the join just wrote; this condition alone says it is still ours.
                        t.update(
                            device,
                            actions=[DeviceModel.owner_nid.set(nid)],
                            condition=(DeviceModel.sim_key == key)
                            & (DeviceModel.owner_nid.does_not_exist() | (DeviceModel.owner_nid == nid)),
                            add_version_condition=False,
                        )
            except TransactWriteError as error:
                if lost_race(error):
                    raise RaceLost() from error
                raise

    retry_on_race(attempt)


def remove(person: PersonModel, msisdn: str) -> None:
    """Take `msisdn` out of the cartable (devices stay: they keep owner_nid).

    404 not_found if it is not listed; 409 last_sim if it is the last active SIM.
    """
    read = [person]

    def attempt() -> None:
        current = read.pop() if read else PersonModel.get(person.national_id, consistent_read=True)
        _remove_once(current, msisdn)

    retry_on_race(attempt)


def _remove_once(person: PersonModel, msisdn: str) -> None:
    listed = entries(person)
    if msisdn not in listed:
        raise HamtaError("not_found")
    sims = sims_of(person)
    active = active_numbers(person, sims)
    if msisdn in active and len(active) == 1:
        raise HamtaError("last_sim")
    ownership = listed.pop(msisdn)["ownership"]
    person.sims = listed
    sim = sims.get(msisdn)
    # Clear the SIM's link only if it still points at this cartable for that ownership.
    unlink = (
        sim is not None
        and sim.cartable_nid == person.national_id
        and int(sim.cartable_ownership or 0) == ownership
    )
    try:
        with transact_write() as t:
            t.save(person)
            if unlink:
                # Its SIM-login sessions end with it: they opened the national-ID
                # cartable's devices through the link.
                t.update(
                    sim,
                    actions=[
                        SimModel.cartable_nid.remove(),
                        SimModel.cartable_ownership.remove(),
                        SimModel.session_epoch.add(1),
                    ],
                    condition=(SimModel.cartable_nid == person.national_id)
                    & (SimModel.cartable_ownership == ownership),
                    add_version_condition=False,
                )
    except TransactWriteError as error:
        if lost_race(error):
            raise RaceLost() from error
        raise


def request_add(person: PersonModel, msisdn: str) -> dict:
    """POST /sims: an SMS code to the SIM, bound to this cartable (same limits as login).

    Sent only when the operator names the cartable's national ID for the SIM and it is
    active; otherwise the same 202 body and no SMS, so a cartable cannot make the service
    text strangers or spend their daily sends. At most SIM_ADDS_PER_DAY codes per
    cartable in 24 h (429 rate_limited), counted before the SMS and given back if it fails.
    """
    from chalicelib.services import limits
    from chalicelib.services.signin import otp

    _require_an_active_sim(person)
    sim = sim_records.get_sim(msisdn)
    if (
        sim is None
        or sim.national_id != person.national_id
        or not sim_records.is_live(sim)
        or sim.disputed_by  # disputed: no SMS until the operator's record changes
    ):
        return {
            "msisdn": msisdn,
            "expires_in": settings.OTP_TTL_SECONDS,
            "resend_in": settings.OTP_RESEND_SECONDS,
        }
    cap = "sim_adds#" + person.national_id
    limits.hit_window(cap, settings.SIM_ADDS_PER_DAY, DAY)
    try:
        return otp.send_code(msisdn, otp.ADD_SIM, subject=person.national_id)
    except HamtaError:
        limits.give_back(cap)  # nothing was sent
        raise


def _require_an_active_sim(person: PersonModel) -> None:
    """A cartable left with no active SIM gains one only through forgot-password, which
    also asks for the birth date (the seed's rule): 409 no_active_sim."""
    if not active_numbers(person):
        raise HamtaError("no_active_sim")


def verify_add(person: PersonModel, msisdn: str, code: str) -> dict:
    """POST /sims/verify: the code first (401 otp_invalid), then the operator's word
    (403 sim_not_owned); then the SIM and its devices join. Returns {msisdn, status}."""
    from chalicelib.services.signin import otp

    otp.verify_code(msisdn, code, otp.ADD_SIM, subject=person.national_id)
    _require_an_active_sim(person)
    read = [person]
    joined: list[PersonModel] = []

    def attempt() -> dict:
        current = read.pop() if read else PersonModel.get(person.national_id, consistent_read=True)
        sim = sim_records.get_sim(msisdn)
        if sim is None or sim.national_id != current.national_id or not sim_records.is_live(sim):
            raise HamtaError("sim_not_owned")
        if not is_active_in(current, sim):
            if sim.disputed_by:
                raise HamtaError("sim_not_owned")  # disputed: the operator has yet to answer
            join(current, sim)
            joined.append(current)
        else:  # already in: bring in any device a fault left behind (_adopt_rest)
            _adopt_rest(current.national_id, sim_key(sim.msisdn, int(sim.ownership)))
        return {"msisdn": msisdn, "status": sim_records.ACTIVE}

    added = retry_on_race(attempt)
    if joined:  # every active SIM, the joining one included (API.md "Every SIM is told")
        notices.tell(active_sims(joined[-1]), notices.sim_joined_text())
    return added
