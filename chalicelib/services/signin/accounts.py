"""National-ID cartables (کارتابل کد ملی): register, log in, change the password, re-enter it.

Forgot-password is services/signin/forgot_password.py. Passwords are argon2id hashes (chalicelib.passwords). Failed logins count per national
ID ("login#<nid>", also for IDs without a cartable) and lock after LOGIN_MAX_FAILURES.
Every failed login spends the same two argon2 verifications, known ID or not, so neither
the answer nor its timing tells which national IDs have a cartable.
"""
from __future__ import annotations

from datetime import date

from aws_lambda_powertools import Logger
from pynamodb.exceptions import DoesNotExist, TransactWriteError

from chalicelib import clock, log, passwords, settings
from chalicelib.errors import HamtaError
from chalicelib.identifiers import mask_national_id
from chalicelib.services import limits
from chalicelib.services.channels import notices
from chalicelib.services.signin import otp, sessions
from chalicelib.services.sims import cartable_sims, sim_records
# The login counter's key is the callers' too (a password re-entered to unblock counts on it).
from chalicelib.services.signin.callers import login_key as _login_key
from chalicelib.services.signin.sessions import Caller
from chalicelib.store.base import (
    RaceLost,
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
        if sim.disputed_by:
            raise HamtaError("sim_not_owned")  # disputed: it joins no cartable for now
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

    One transaction: a conditional put of a marker named after the temporary password (its
    deadline tells one issue from the next), so two logins at once cannot both open a
    session, and the reset hold on the person (API.md "Acts that cannot be undone": it
    starts when the temporary password is first used). Every SIM is told.
    """
    expires_at = float(person.temp_password_expires_at or 0)
    marker = CounterItem(
        f"temp_password#{person.national_id}#{expires_at!r}",
        expires_at=expires_at,
        ttl=int(expires_at) + 3600,
    )
    hold_until = clock.now() + settings.RESET_HOLD_SECONDS

    def attempt() -> bool:
        try:
            with transact_write() as tx:
                tx.save(marker, condition=CounterItem.pk.does_not_exist())
                tx.update(
                    PersonModel(person.national_id),
                    actions=[PersonModel.reset_hold_until.set(hold_until)],
                    condition=PersonModel.national_id.exists(),
                    add_version_condition=False,
                )
        except TransactWriteError as error:
            if failed_condition(error, {"save": 1, "update": 1}, "save"):
                return False  # the marker's own condition: spent already
            if lost_race(error):
                raise RaceLost() from error
            raise
        return True

    if not retry_on_race(attempt):
        return False
    notices.tell(cartable_sims.active_sims(person), notices.reset_used_text(hold_until))
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
    notices.tell(cartable_sims.active_sims(person), notices.password_changed_text())


_UNREAD = object()


def confirm_password(
    caller: Caller, password: object, counter: object = _UNREAD, clear: bool = True
) -> None:
    """The national-ID session's own password re-entered (unblocking a device): `counter`
    is the "login#<nid>" item (or None) if the caller read it already, so a locked ID
    answers 429 whatever was typed; then `check_password` on the person it holds."""
    if counter is not _UNREAD:
        limits.raise_if_locked(counter)  # type: ignore[arg-type]
    if not isinstance(password, str) or not password:
        raise HamtaError("invalid_credentials")  # nothing typed: no guess to count
    check_password(caller.national_id, password, person=caller.person, clear=clear)


def check_password(
    national_id: str,
    password: str,
    also: list | None = None,
    clear: bool = True,
    person: PersonModel | None = None,
) -> tuple[PersonModel, dict]:
    """THE password check of the acts that need it re-entered (sale, repair, USSD sale,
    unblock): (the person, {model: [items]} of `also` read with it in one call), or 401
    invalid_credentials counted toward the same login lock as POST /auth/login (429 while
    it holds). As at login the attempt is reserved before the password is compared. A
    temporary password only lets its holder choose a new one: refused. `person`: already
    read (nothing more is read). `clear=False`: the caller clears the reserved attempt
    itself (`login_key`), in the transaction of what the password allows.
    """
    _check_length(password)
    key = _login_key(national_id)
    limits.reserve(key, settings.LOGIN_MAX_FAILURES, settings.LOGIN_LOCK_SECONDS)
    found: dict = {}
    if person is None:
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
    assert person is not None
    return person, found


def login_key(national_id: str) -> str:
    """The counter of a national ID's login attempts (the login lock)."""
    return _login_key(national_id)
