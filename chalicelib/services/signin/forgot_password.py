"""Forgot password (فراموشی رمز عبور): a temporary password by SMS, and a SIM joining a cartable left without one.

The route answers the same 202 whatever happens here: nothing may tell what was true.
"""
from __future__ import annotations

from datetime import date

from aws_lambda_powertools import Logger
from pynamodb.exceptions import PutError, UpdateError

from chalicelib import clock, log, passwords, settings, sms, sms_gate
from chalicelib.errors import HamtaError
from chalicelib.identifiers import mask_national_id
from chalicelib.services import limits
from chalicelib.services.channels import notices
from chalicelib.services.sims import cartable_sims, sim_records
from chalicelib.services.signin.accounts import get_person
from chalicelib.store.base import RaceLost, condition_failed, retry_on_race
from chalicelib.store.people import PersonModel
from chalicelib.store.sims import SimModel

logger = Logger(service=log.SERVICE, child=True)

DAY = 24 * 3600


def forgot_password(national_id: str, msisdn: str, birth_date: date) -> None:
    """POST /auth/password/forgot: maybe send a temporary password; the caller always
    answers the same 202 (nothing here may tell what was true).

    Only sends count toward FORGOT_MAX_PER_DAY (a stranger's wrong birth dates spend
    nothing). The temporary password is stored before the SMS leaves and taken back if it
    cannot leave, so nobody ever holds a password that does not work. Every outcome spends
    one argon2 hash; the route pads the answer to one timing class (bench/forgot_timing.py).
    """
    temp = passwords.new_temp_password()
    temp_hash = passwords.hash_password(temp)  # spent whatever the outcome
    plan = _forgot_plan(national_id, msisdn, birth_date)
    if plan is None:
        return
    cap = "forgot#" + national_id
    try:
        limits.hit_window(cap, settings.FORGOT_MAX_PER_DAY, DAY)
    except HamtaError:
        return  # silently over the per-ID cap of sends
    try:
        joins = _store_temp_password(national_id, msisdn, birth_date, plan, temp_hash)
    except HamtaError:
        # Races that ran out: nothing stored, nothing sent, and the same 202 (a 503 here
        # would tell that every condition held). A DynamoDB fault still answers 503.
        limits.give_back(cap)
        return
    except Exception:  # a DynamoDB fault: nothing sent, so nothing counts
        limits.give_back(cap)
        raise
    if joins is None:
        limits.give_back(cap)  # the conditions stopped holding meanwhile: nothing sent
        return
    try:
        sms_gate.send_code(msisdn, sms.temp_password_text(temp))
    except HamtaError:
        _take_back_temp_password(national_id, temp_hash)
        limits.give_back(cap)
        logger.warning("temporary password not sent", extra={"national_id": mask_national_id(national_id)})
        return  # nothing changes
    if joins:
        try:
            joins = _join_sim(national_id, msisdn, birth_date)
        except HamtaError:  # races ran out: the SMS has left; a new request joins it
            logger.warning("sim not joined", extra={"national_id": mask_national_id(national_id)})
            joins = False
    logger.info(
        "temporary password sent",
        extra={"national_id": mask_national_id(national_id), "sim_joined": joins},
    )


def _store_temp_password(
    national_id: str,
    msisdn: str,
    birth_date: date,
    plan: tuple[PersonModel, SimModel, bool],
    temp_hash: str,
) -> bool | None:
    """Write the temporary password before any SMS. Returns whether the SIM is to join
    (once the SMS has left), or None if API.md's conditions no longer hold."""
    first = [plan]

    def attempt() -> bool | None:
        current = first.pop() if first else _forgot_plan(national_id, msisdn, birth_date)
        if current is None:
            return None
        person, sim, joins = current
        person.temp_password_hash = temp_hash
        person.temp_password_expires_at = clock.now() + settings.TEMP_PASSWORD_TTL_SECONDS
        try:
            person.save()  # conditioned on the version read
        except PutError as error:
            if condition_failed(error):
                raise RaceLost() from error
            raise
        return joins

    return retry_on_race(attempt)


def _join_sim(national_id: str, msisdn: str, birth_date: date) -> bool:
    """After the SMS left: the SIM joins the cartable that has no active SIM left."""

    def attempt() -> bool:
        plan = _forgot_plan(national_id, msisdn, birth_date)
        if plan is None or not plan[2]:
            return False
        person = plan[0]
        # The hold starts at once when a reset adds a SIM, in the join's own transaction.
        person.reset_hold_until = clock.now() + settings.RESET_HOLD_SECONDS
        cartable_sims.join(person, plan[1])
        return True

    joined = retry_on_race(attempt)
    if joined:
        notices.tell([msisdn], notices.sim_joined_text())  # the only active SIM now
    return joined


def _take_back_temp_password(national_id: str, temp_hash: str) -> None:
    """The SMS never left: remove the temporary password we stored (only ours)."""
    try:
        PersonModel(national_id).update(
            actions=[
                PersonModel.temp_password_hash.remove(),
                PersonModel.temp_password_expires_at.remove(),
            ],
            condition=PersonModel.temp_password_hash == temp_hash,
            add_version_condition=False,
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise


def _forgot_plan(
    national_id: str, msisdn: str, birth_date: date
) -> tuple[PersonModel, SimModel, bool] | None:
    """(person, sim, whether the SIM joins) when API.md's conditions all hold, else None."""
    person = get_person(national_id)
    if person is None or person.birth_date != birth_date.isoformat():
        return None
    sim = sim_records.get_sim(msisdn)
    if sim is None or sim.national_id != national_id or not sim_records.is_live(sim):
        return None
    if cartable_sims.is_active_in(person, sim):
        return person, sim, False
    if sim.disputed_by:
        return None  # a disputed SIM joins no cartable until its operator record changes
    # A new SIM joins only a cartable that has no active SIM left.
    if cartable_sims.active_numbers(person):
        return None
    return person, sim, True
