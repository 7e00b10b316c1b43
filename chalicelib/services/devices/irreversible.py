"""Acts that cannot be undone (API.md): a sale and a repair ask for the Hamta password, wait out a reset hold, and every SIM is told.

A national-ID session has proved the password at login. A SIM session re-enters the
password of the national-ID cartable that lists its SIM, through THE password check
(accounts.check_password: the attempt reserved on the login lock before the comparison);
a SIM in no national-ID cartable is told to make one (409 password_required). The reset
hold is a time on the person item; the act's transaction carries a condition check on it,
so a reset landing between our read and our write fails the act instead of letting it by.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from chalicelib import clock
from chalicelib.errors import HamtaError
from chalicelib.services import limits
from chalicelib.services.signin import accounts
from chalicelib.services.sims import cartable_sims, sim_records
from chalicelib.services.signin.sessions import Caller
from chalicelib.store.devices import DeviceModel
from chalicelib.store.people import PersonModel
from chalicelib.store.sims import SimModel


@dataclass
class Clearance:
    """What the password step found: the national-ID cartable's person as read now (None
    for a SIM cartable of its own), and the login counter to clear with the act."""

    person: PersonModel | None
    guard_key: str | None

    def refuse_if_held(self) -> None:
        """409 reset_hold with retry_after while a forgot-password reset's hold lasts."""
        until = float(self.person.reset_hold_until or 0) if self.person is not None else 0.0
        now = clock.now()
        if until > now:
            raise HamtaError("reset_hold", retry_after=max(1, math.ceil(until - now)))

    def checks(self) -> list[tuple]:
        """(model, key, condition) for the act's transaction: no hold began meanwhile."""
        if self.person is None:
            return []
        now = clock.now()
        free = PersonModel.reset_hold_until.does_not_exist() | (PersonModel.reset_hold_until <= now)
        return [(PersonModel, self.person.national_id, free)]

    def give_back(self) -> None:
        """The password was right but the act wrote nothing: clear the reserved attempt."""
        if self.guard_key:
            limits.reset(self.guard_key)

    def told(self, caller: Caller, device: DeviceModel, sims: dict[str, SimModel]) -> list[str]:
        """The active SIMs of the cartable holding the device (API.md "Every SIM is told")."""
        known = {**caller.sims_held(), **sims}
        if self.person is not None:
            return cartable_sims.active_sims(self.person, known)
        sim = known.get(device.msisdn or "") or (sim_records.get_sim(device.msisdn) if device.msisdn else None)
        if sim is not None and sim_records.is_live(sim) and int(sim.ownership) == int(device.ownership or -1):
            return [sim.msisdn]
        return []


class StepUp:
    """The password of one act, checked once however often the act is retried."""

    def __init__(self, caller: Caller, password: object) -> None:
        self.caller = caller
        self.password = password
        self.checked = False

    def clear(self, person: PersonModel | None = None) -> Clearance:
        """Call once the device is known to be the caller's (404 comes first). `person`:
        the SIM's national-ID cartable, if the act read it already (one call fewer)."""
        caller = self.caller
        national_id = caller.linked_national_id()
        if caller.person is not None:  # a national-ID session: its login proved the password
            person = caller.person if not self.checked else accounts.get_person(caller.national_id)
            self.checked = True
            return Clearance(person, None)
        if national_id is None:
            raise HamtaError("password_required")
        key = accounts.login_key(national_id)
        if self.checked:  # a retry after a lost race: the person as it is now
            return Clearance(accounts.get_person(national_id), key)
        if not isinstance(self.password, str) or not self.password:
            raise HamtaError("invalid_request", field="password")
        person, _ = accounts.check_password(national_id, self.password, clear=False, person=person)
        self.checked = True
        return Clearance(person, key)
