"""National-ID cartables (کارتابل کد ملی): register, log in, change and forget the password.

Passwords are argon2id hashes (chalicelib.passwords). Failed logins count per national
ID ("login#<nid>", also for IDs without a cartable) and lock after LOGIN_MAX_FAILURES.
Every failed login spends the same two argon2 verifications, known ID or not, so neither
the answer nor its timing tells which national IDs have a cartable.
"""
from __future__ import annotations

from datetime import date

from aws_lambda_powertools import Logger
from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib import clock, passwords, settings, sms
from chalicelib.errors import HamtaError
from chalicelib.identifiers import mask_national_id
from chalicelib.services import cartable_sims, limits, sessions, sim_records
from chalicelib.services.sessions import Caller
from chalicelib.store.base import condition_failed
from chalicelib.store.people import PersonModel
from chalicelib.store.sims import SimModel

logger = Logger(service="hamta")

RETRIES = 3
FORGOT_MAX_PER_DAY = 5
DAY = 24 * 3600


def _login_key(national_id: str) -> str:
    return "login#" + national_id


def get_person(national_id: str) -> PersonModel | None:
    try:
        return PersonModel.get(national_id, consistent_read=True)
    except DoesNotExist:
        return None


def _check_length(password: str) -> None:
    if len(password) > passwords.MAX_LENGTH:
        raise HamtaError("invalid_request")


def register(caller: Caller, national_id: str, birth_date: date, password: str) -> dict:
    """POST /auth/register: the SIM session's SIM becomes the first SIM of a new cartable."""
    _check_length(password)
    if passwords.is_weak(password, national_id, [caller.msisdn]):
        raise HamtaError("weak_password")
    password_hash = passwords.hash_password(password)
    sim = caller.sim
    for _ in range(RETRIES):
        if sim is None or sim.national_id != national_id or not sim_records.is_live(sim):
            raise HamtaError("sim_not_owned")
        if int(sim.ownership) != caller.ownership:
            raise HamtaError("unauthorized")  # the number changed hands meanwhile
        if get_person(national_id) is not None:
            raise HamtaError("cartable_exists")
        person = PersonModel(
            national_id,
            birth_date=birth_date.isoformat(),
            password_hash=password_hash,
            session_epoch=0,
            created_at=clock.now(),
        )
        try:
            cartable_sims.join(person, sim, create=True)
        except cartable_sims.Conflict:
            sim = sim_records.get_sim(caller.msisdn)
            continue
        logger.info("cartable registered", extra={"national_id": mask_national_id(national_id)})
        return {"cartable": {"kind": sessions.NATIONAL_ID, "national_id": national_id}}
    raise HamtaError("internal_error")


def login(national_id: str, password: str) -> dict:
    """POST /auth/login (after the captcha): a session, or 401 invalid_credentials."""
    _check_length(password)
    key = _login_key(national_id)
    counter = limits.check_lock(key)
    person = get_person(national_id)
    must_change = False
    if person is None:
        passwords.dummy_verify()
        passwords.dummy_verify()
        ok = False
    elif passwords.verify_password(person.password_hash, password):
        ok = True
    else:
        # The second verification is always spent, temporary password or not.
        ok = must_change = _temp_matches(person, password)
    if not ok:
        limits.record_failure(key, settings.LOGIN_MAX_FAILURES, settings.LOGIN_LOCK_SECONDS)
        raise HamtaError("invalid_credentials")
    if counter is not None:
        limits.reset(key)
    token, ttl = sessions.open_session(
        sessions.NATIONAL_ID,
        national_id=national_id,
        epoch=int(person.session_epoch or 0),
        must_change_password=must_change,
    )
    return {
        "token": token,
        "expires_in": ttl,
        "cartable": {"kind": sessions.NATIONAL_ID, "national_id": national_id},
        "must_change_password": must_change,
    }


def _temp_matches(person: PersonModel, password: str) -> bool:
    live = (
        person.temp_password_hash is not None
        and person.temp_password_expires_at is not None
        and person.temp_password_expires_at > clock.now()
    )
    if not live:
        passwords.dummy_verify()
        return False
    return passwords.verify_password(person.temp_password_hash, password)


def change_password(caller: Caller, old_password: str, new_password: str) -> None:
    """PUT /me/password: set a new password; every other session of the cartable ends.

    `old_password` is the current password, or, in a session opened with a temporary
    password, that temporary one. Wrong guesses count toward the login lock.
    """
    _check_length(old_password)
    _check_length(new_password)
    key = _login_key(caller.national_id)
    counter = limits.check_lock(key)
    person = caller.person
    for _ in range(RETRIES):
        ok = passwords.verify_password(person.password_hash, old_password)
        if not ok and caller.must_change_password:
            ok = _temp_matches(person, old_password)
        if not ok:
            limits.record_failure(key, settings.LOGIN_MAX_FAILURES, settings.LOGIN_LOCK_SECONDS)
            raise HamtaError("invalid_credentials")
        numbers = list(cartable_sims.entries(person))
        if passwords.is_weak(new_password, person.national_id, numbers):
            raise HamtaError("weak_password")
        new_epoch = int(person.session_epoch or 0) + 1
        try:
            person.update(
                actions=[
                    PersonModel.password_hash.set(passwords.hash_password(new_password)),
                    PersonModel.temp_password_hash.remove(),
                    PersonModel.temp_password_expires_at.remove(),
                    PersonModel.session_epoch.set(new_epoch),
                ]
            )  # conditioned on the version read
        except UpdateError as error:
            if not condition_failed(error):
                raise
            person = get_person(caller.national_id)
            if person is None or int(person.session_epoch or 0) != int(caller.person.session_epoch or 0):
                raise HamtaError("unauthorized") from None  # changed elsewhere: this session is over
            continue
        if counter is not None:
            limits.reset(key)
        sessions.keep_only_this_session(caller, new_epoch)
        logger.info("password changed", extra={"national_id": mask_national_id(person.national_id)})
        return
    raise HamtaError("internal_error")


_UNREAD = object()


def confirm_password(caller: Caller, password: object, counter: object = _UNREAD) -> None:
    """The national-ID cartable's password re-entered for a sensitive act (unblocking a
    device): wrong ones count toward the login lock like failed logins, and a locked ID
    answers 429 whatever was typed. `counter`: the "login#<nid>" item (or None) if the
    caller read it already."""
    key = _login_key(caller.national_id)
    if counter is _UNREAD:
        counter = limits.check_lock(key)
    else:
        limits.raise_if_locked(counter)  # type: ignore[arg-type]
    if not isinstance(password, str) or not password:
        raise HamtaError("invalid_credentials")  # nothing typed: no guess to count
    _check_length(password)
    if not passwords.verify_password(caller.person.password_hash, password):
        limits.record_failure(key, settings.LOGIN_MAX_FAILURES, settings.LOGIN_LOCK_SECONDS)
        raise HamtaError("invalid_credentials")
    if counter is not None:
        limits.reset(key)


def forgot_password(national_id: str, msisdn: str, birth_date: date) -> None:
    """POST /auth/password/forgot: maybe send a temporary password; the caller always
    answers the same 202 (nothing here may tell what was true)."""
    try:
        limits.hit_window("forgot#" + national_id, FORGOT_MAX_PER_DAY, DAY)
    except HamtaError:
        return  # silently over the per-ID cap
    plan = _forgot_plan(national_id, msisdn, birth_date)
    if plan is None:
        passwords.hash_password("spent like a real reset")  # keep the timing class
        return
    temp = passwords.new_temp_password()
    temp_hash = passwords.hash_password(temp)
    try:
        sms.send_sms(msisdn, sms.temp_password_text(temp))
    except sms.SmsUnavailable:
        logger.warning("temporary password not sent", extra={"national_id": mask_national_id(national_id)})
        return  # nothing changes
    for _ in range(RETRIES):
        person, sim, joins = plan
        person.temp_password_hash = temp_hash
        person.temp_password_expires_at = clock.now() + settings.TEMP_PASSWORD_TTL_SECONDS
        try:
            if joins:
                cartable_sims.join(person, sim)
            else:
                person.save()  # conditioned on the version read
            logger.info(
                "temporary password sent",
                extra={"national_id": mask_national_id(national_id), "sim_joined": joins},
            )
            return
        except cartable_sims.Conflict:
            pass
        except Exception as error:  # a PutError from person.save
            if not condition_failed(error):
                raise
        plan = _forgot_plan(national_id, msisdn, birth_date)
        if plan is None:
            return
    logger.warning("temporary password not stored", extra={"national_id": mask_national_id(national_id)})


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
    # A new SIM joins only a cartable that has no active SIM left.
    if cartable_sims.active_numbers(person):
        return None
    return person, sim, True
