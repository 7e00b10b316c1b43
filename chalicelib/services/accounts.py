"""National-ID cartables (کارتابل کد ملی): register, log in, change and forget the password.

Passwords are argon2id hashes (chalicelib.passwords). Failed logins count per national
ID ("login#<nid>", also for IDs without a cartable) and lock after LOGIN_MAX_FAILURES.
Every failed login spends the same two argon2 verifications, known ID or not, so neither
the answer nor its timing tells which national IDs have a cartable.
"""
from __future__ import annotations

from datetime import date

from aws_lambda_powertools import Logger
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError

from chalicelib import clock, log, passwords, settings, sms, sms_gate
from chalicelib.errors import HamtaError
from chalicelib.identifiers import mask_national_id
from chalicelib.services import cartable_sims, limits, otp, sessions, sim_records
# The login counter's key is the callers' too (a password re-entered to unblock counts on it).
from chalicelib.services.callers import login_key as _login_key
from chalicelib.services.sessions import Caller
from chalicelib.store.base import (
    RaceLost,
    condition_failed,
    failed_condition,
    lost_race,
    retry_on_race,
    transact_write,
)
from chalicelib.store.batch_read import read_together
from chalicelib.store.challenges import CounterItem
from chalicelib.store.people import PersonModel
from chalicelib.store.sims import SimModel

logger = Logger(service=log.SERVICE, child=True)

DAY = 24 * 3600


def get_person(national_id: str) -> PersonModel | None:
    try:
        return PersonModel.get(national_id, consistent_read=True)
    except DoesNotExist:
        return None


def _check_length(password: str, field: str = "password") -> None:
    if len(password) > passwords.MAX_LENGTH:
        raise HamtaError("invalid_request", field=field)


def register(caller: Caller, national_id: str, birth_date: date, password: str) -> dict:
    """POST /auth/register: the SIM session's SIM becomes the first SIM of a new cartable."""
    _check_length(password)
    if passwords.is_weak(password, national_id, [caller.msisdn]):
        raise HamtaError("weak_password")
    password_hash = passwords.hash_password(password)
    first = [caller.sim]

    def attempt() -> dict:
        sim = first.pop() if first else sim_records.get_sim(caller.msisdn)
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
        cartable_sims.join(person, sim, create=True)
        logger.info("cartable registered", extra={"national_id": mask_national_id(national_id)})
        return {"cartable": {"kind": sessions.NATIONAL_ID, "national_id": national_id}}

    return retry_on_race(attempt)


def login(national_id: str, password: str) -> dict:
    """POST /auth/login (after the captcha): a session, or 401 invalid_credentials.

    The attempt is reserved before the password is checked (limits.reserve): N logins
    fired at once get at most LOGIN_MAX_FAILURES passwords checked; the rest answer 429
    unchecked, the right password included.
    """
    _check_length(password)
    key = _login_key(national_id)
    limits.reserve(key, settings.LOGIN_MAX_FAILURES, settings.LOGIN_LOCK_SECONDS)
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
    if ok and must_change:
        ok = _spend_temp_password(person)  # it opens one session only
    if not ok:
        raise HamtaError("invalid_credentials")  # the reserved attempt stays counted
    token, ttl, session = sessions.new_session(
        sessions.NATIONAL_ID,
        national_id=national_id,
        epoch=int(person.session_epoch or 0),
        must_change_password=must_change,
    )
    _store_login(key, session)
    return {
        "token": token,
        "expires_in": ttl,
        "cartable": {"kind": sessions.NATIONAL_ID, "national_id": national_id},
        "must_change_password": must_change,
    }


def sim_login(msisdn: str, code: str) -> tuple[str, int]:
    """POST /auth/otp/verify: (token, ttl) of a SIM session, or 401 otp_invalid.

    Three calls: the attempt counted (otp.check_code), the SIM read, then ONE transaction
    that marks the code used and stores the session (and the SIM's record if the operator
    never named the number), so a code opens one session only."""
    use_item, use_actions, use_condition = otp.check_code(msisdn, code, otp.LOGIN)

    def attempt() -> tuple[str, int]:
        sim = sim_records.get_sim(msisdn)
        new = sim is None
        if new:
            sim = sim_records.unheld_sim(msisdn)
        token, ttl, session = sessions.new_session(
            sessions.SIM, msisdn=msisdn, ownership=int(sim.ownership),
            epoch=int(sim.session_epoch or 0),
        )
        kinds = {"update": 1, "save": 2 if new else 1, "condition_check": 0 if new else 1}
        try:
            with transact_write() as tx:
                tx.update(use_item, actions=use_actions, condition=use_condition)
                tx.save(session)
                if new:
                    tx.save(sim, condition=SimModel.msisdn.does_not_exist())
                else:  # the session is bound to the SIM as read
                    tx.condition_check(SimModel, msisdn, condition=(SimModel.ownership == int(sim.ownership)))
        except TransactWriteError as error:
            if failed_condition(error, kinds, "update"):  # the code's own: used meanwhile
                raise HamtaError("otp_invalid") from None
            if lost_race(error):
                raise RaceLost() from error  # the SIM moved meanwhile: read it again
            raise
        return token, ttl

    return retry_on_race(attempt)


def _store_login(counter_key: str, session) -> None:  # session: SessionItem
    """One call: the failures in a row cleared and the session stored, together. A racing
    login's reserve on the same counter cancels the transaction (TransactionConflict):
    tried again, as nothing was written."""

    def attempt() -> None:
        try:
            with transact_write() as tx:
                tx.delete(CounterItem(counter_key))
                tx.save(session)
        except TransactWriteError as error:
            if lost_race(error):
                raise RaceLost() from error
            raise

    retry_on_race(attempt)


def _spend_temp_password(person: PersonModel) -> bool:
    """The first login with this temporary password wins it; any later one is refused.

    One conditional put of a marker named after the temporary password (its deadline
    tells one issue from the next), so two logins at once cannot both open a session.
    """
    expires_at = float(person.temp_password_expires_at or 0)
    marker = CounterItem(
        f"temp_password#{person.national_id}#{expires_at!r}",
        expires_at=expires_at,
        ttl=int(expires_at) + 3600,
    )
    try:
        marker.save(condition=CounterItem.pk.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise
        return False
    return True


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
    """PUT /me/password: set a new password; every other session of the cartable ends,
    the SIM-login sessions of its SIMs too.

    `old_password` is the current password, or, in a session opened with a temporary
    password, that temporary one. Each guess is reserved on the login budget before it
    is checked.
    """
    _check_length(old_password, "old_password")
    _check_length(new_password, "new_password")
    key = _login_key(caller.national_id)
    limits.reserve(key, settings.LOGIN_MAX_FAILURES, settings.LOGIN_LOCK_SECONDS)
    person = caller.person
    ok = passwords.verify_password(person.password_hash, old_password)
    if not ok and caller.must_change_password:
        ok = _temp_matches(person, old_password)
    if not ok:
        raise HamtaError("invalid_credentials")
    limits.reset(key)
    numbers = list(cartable_sims.entries(person))
    if passwords.is_weak(new_password, person.national_id, numbers):
        raise HamtaError("weak_password")
    new_hash = passwords.hash_password(new_password)
    read = [person]

    def attempt() -> None:
        current = read.pop() if read else get_person(caller.national_id)
        if current is None or int(current.session_epoch or 0) != int(caller.person.session_epoch or 0):
            raise HamtaError("unauthorized")  # changed elsewhere: this session is over
        new_epoch = sessions.end_cartable_sessions(
            current,
            [
                PersonModel.password_hash.set(new_hash),
                PersonModel.temp_password_hash.remove(),
                PersonModel.temp_password_expires_at.remove(),
            ],
        )
        sessions.keep_only_this_session(caller, new_epoch)

    retry_on_race(attempt)
    logger.info("password changed", extra={"national_id": mask_national_id(person.national_id)})


_UNREAD = object()


def confirm_password(
    caller: Caller, password: object, counter: object = _UNREAD, clear: bool = True
) -> None:
    """The national-ID cartable's password re-entered for a sensitive act (unblocking a
    device): wrong ones count toward the login lock like failed logins, and a locked ID
    answers 429 whatever was typed. `counter`: the "login#<nid>" item (or None) if the
    caller read it already. `clear=False`: the caller deletes the login counter itself, in
    the transaction of what the password allows (one call fewer)."""
    key = _login_key(caller.national_id)
    if counter is not _UNREAD:
        limits.raise_if_locked(counter)  # type: ignore[arg-type]
    if not isinstance(password, str) or not password:
        raise HamtaError("invalid_credentials")  # nothing typed: no guess to count
    _check_length(password)
    # Reserved before the comparison, as at login: N wrong passwords fired at once get at
    # most LOGIN_MAX_FAILURES of them checked, the rest 429 unchecked.
    limits.reserve(key, settings.LOGIN_MAX_FAILURES, settings.LOGIN_LOCK_SECONDS)
    if not passwords.verify_password(caller.person.password_hash, password):
        raise HamtaError("invalid_credentials")  # the reserved attempt stays counted
    if clear:
        limits.reset(key)


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
        cartable_sims.join(plan[0], plan[1])
        return True

    return retry_on_race(attempt)


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
    # A new SIM joins only a cartable that has no active SIM left.
    if cartable_sims.active_numbers(person):
        return None
    return person, sim, True


def check_password(
    national_id: str, password: str, also: list | None = None, clear: bool = True
) -> tuple[PersonModel, dict]:
    """The cartable's password re-entered outside a login (a sale by USSD): (the person,
    {model: [items]} of `also` read with it in one call), or 401 invalid_credentials
    counted toward the same login lock as POST /auth/login (429 while it holds). As at
    login the attempt is reserved before the password is compared. A temporary password
    only lets its holder choose a new one: refused. `clear=False`: the caller clears the
    reserved attempt itself (`login_key`), in the transaction of what the password allows.
    """
    _check_length(password)
    key = _login_key(national_id)
    limits.reserve(key, settings.LOGIN_MAX_FAILURES, settings.LOGIN_LOCK_SECONDS)
    found = read_together([(PersonModel, [national_id]), *(also or [])])
    person = (found.pop(PersonModel, None) or [None])[0]
    if person is None:
        passwords.dummy_verify()
        ok = False
    else:
        ok = passwords.verify_password(person.password_hash, password)
    if not ok:
        raise HamtaError("invalid_credentials")  # the reserved attempt stays counted
    if clear:
        limits.reset(key)
    return person, found


def login_key(national_id: str) -> str:
    """The counter of a national ID's login attempts (the login lock)."""
    return _login_key(national_id)
