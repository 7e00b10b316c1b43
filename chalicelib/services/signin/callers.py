"""Who is asking, as one of two types: a SIM cartable's session or a national-ID cartable's.

`sessions.resolve` checks a token against the SIM or person it is bound to and builds one
of these, whole (nothing changes it afterwards). The services ask it what they need
(`owns`, `devices_query`, `target`, `unblock_asks_password`, ...) and never test its kind:
each type answers its own way. `kind` stays as the name a route's role check and the
stored session use (API.md's cartable "kind").
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Iterable, Union

from chalicelib.errors import HamtaError
from chalicelib.services.sims import cartable_sims, sim_records
from chalicelib.store.base import plain_map, retry_on_race
from chalicelib.store.devices import DeviceModel, sim_key
from chalicelib.store.people import PersonModel
from chalicelib.store.session_epochs import end_cartable_sessions, end_sim_sessions
from chalicelib.store.sims import SimModel
from chalicelib.store.transfer_records import nid_cartable, sim_cartable

SIM = "sim"
NATIONAL_ID = "national_id"
UNCLAIMED = "unclaimed"  # services.devices.UNCLAIMED: a registered device in no cartable


def login_key(national_id: str) -> str:
    """The counter of a national ID's password guesses (the login lock)."""
    return "login#" + national_id


def needs_password(device: DeviceModel) -> bool:
    """A device of a national-ID cartable, or blocked from one, is unblocked only from a
    national-ID session with the password: a stolen SIM must not free a stolen phone."""
    return bool(device.owner_nid) or device.blocked_from == NATIONAL_ID


@dataclass
class Target:
    """Where a device joining the caller's cartable goes: the SIM it is registered on and,
    if the cartable is (or the SIM belongs to) a national-ID cartable, its national ID."""

    msisdn: str | None
    ownership: int | None
    sim_key: str | None
    owner_nid: str | None


@dataclass(frozen=True, kw_only=True)
class _Session:
    """What both kinds of session carry: the token's item and what was read to check it."""

    token_hash: str
    msisdn: str | None
    ownership: int | None
    national_id: str | None  # a SIM session: the operator's holder of its ownership, if any
    must_change_password: bool
    sim: SimModel | None = None  # a SIM session's SIM, as read now
    person: PersonModel | None = None  # a national-ID session's person, as read now


def _epoch(value: object) -> int:
    return int(value or 0)  # type: ignore[call-overload]


@dataclass(frozen=True, kw_only=True)
class SimCartable(_Session):
    """A SIM session: the devices on (msisdn, ownership) while that SIM is live."""

    kind: ClassVar[str] = SIM
    bound_model: ClassVar[type] = SimModel  # the record a session of this kind is bound to

    @staticmethod
    def bound_key(item) -> str | None:  # item: a SessionItem
        return item.msisdn

    @classmethod
    def opened(cls, item, token_hash: str, sim: SimModel) -> "SimCartable":
        """The session `item` over its SIM as read now: live, or 401."""
        ownership = int(item.ownership) if item.ownership is not None else None
        if int(sim.ownership) != ownership:
            raise HamtaError("unauthorized")  # the number changed hands
        if _epoch(sim.session_epoch) != _epoch(item.epoch):
            raise HamtaError("unauthorized")  # its sessions were ended since
        return cls(
            token_hash=token_hash, msisdn=item.msisdn, ownership=ownership,
            national_id=sim.national_id, must_change_password=bool(item.must_change_password),
            sim=sim,
        )

    def cartable(self) -> dict:
        return {"kind": SIM, "msisdn": self.msisdn}

    def listed_sims(self) -> list[dict]:
        """GET /me's sims: its own SIM and that ownership's status."""
        return [{"msisdn": self.msisdn, "status": sim_records.ownership_status(self.sim, self.ownership)}]

    def is_open(self) -> bool:
        """An expired SIM's cartable is empty at once, job or no job."""
        return self.sim is not None and sim_records.is_live(self.sim)

    def devices_query(self) -> Iterable[DeviceModel]:
        """Its devices, in the order they joined (one Query on by_sim)."""
        if not self.is_open():
            return []
        rows = DeviceModel.by_sim.query(sim_key(self.msisdn, self.ownership))
        return [device for device in rows if self._sees(device)]

    def owns(self, device: DeviceModel) -> bool:
        return (
            not device.main_imei
            and device.state != UNCLAIMED
            and device.sim_key is not None
            and device.sim_key == sim_key(self.msisdn, self.ownership)
            and self.is_open()
            and self._sees(device)
        )

    def own_numbers(self) -> set[str]:
        """The numbers that are the cartable's own (shown unmasked in history)."""
        return {self.msisdn} if self.msisdn else set()

    def sim_ownerships(self) -> dict[str, int]:
        """{msisdn: ownership} of its SIM: none once the SIM is dead."""
        return {self.msisdn: int(self.ownership)} if self.is_open() else {}

    def sims_held(self) -> dict[str, SimModel]:
        """The SIM records the session already read (its own SIM)."""
        return {self.sim.msisdn: self.sim} if self.sim is not None else {}

    def sims_to_read(self) -> set[str]:
        """The SIM records a move still needs: none, its own SIM came with the session."""
        return set()

    def transfers_key(self) -> str | None:
        return sim_cartable(self.msisdn, self.ownership) if self.is_open() else None

    def linked_national_id(self) -> str | None:
        """The national-ID cartable this SIM (its current ownership) is a SIM of, if any."""
        sim = self.sim
        if sim is None or not sim.cartable_nid or sim.cartable_ownership is None:
            return None
        return sim.cartable_nid if int(sim.cartable_ownership) == int(sim.ownership) else None

    def target(self, msisdn: str | None, sims: dict[str, SimModel], allow_no_sim: bool = False) -> Target:
        """A new device goes on its own SIM, which must be live (`msisdn`, if named, must be
        it), and into the national-ID cartable that SIM is in, if any; else 409 sim_inactive."""
        if not self.is_open() or msisdn not in (None, self.msisdn):
            raise HamtaError("sim_inactive")
        return Target(self.msisdn, self.ownership, sim_key(self.msisdn, self.ownership),
                      self.linked_national_id())

    def login_counter_key(self) -> str | None:
        return None  # no password of its own to re-enter

    def unblock_asks_password(self, device: DeviceModel) -> bool:
        """A SIM session lifts a block with no password, except where the device needs the
        national-ID cartable's: that is 403 forbidden here."""
        if needs_password(device):
            raise HamtaError("forbidden")
        return False

    def end_all_sessions(self) -> None:
        """DELETE /me/sessions: every SIM-login session of this ownership of the number."""
        end_sim_sessions(self.msisdn, self.ownership)

    def _sees(self, device: DeviceModel) -> bool:
        """A device of a national-ID cartable shows in a SIM cartable only while that SIM is
        one of the cartable's SIMs: once removed (DELETE /sims/{msisdn}), its SIM logins no
        longer reach the national-ID cartable's devices."""
        return not device.owner_nid or device.owner_nid == self.linked_national_id()


@dataclass(frozen=True, kw_only=True)
class NationalIdCartable(_Session):
    """A national-ID session: the devices whose owner_nid is its national ID."""

    kind: ClassVar[str] = NATIONAL_ID
    bound_model: ClassVar[type] = PersonModel

    @staticmethod
    def bound_key(item) -> str | None:  # item: a SessionItem
        return item.national_id

    @classmethod
    def opened(cls, item, token_hash: str, person: PersonModel) -> "NationalIdCartable":
        """The session `item` over its person as read now: live, or 401."""
        if _epoch(person.session_epoch) != _epoch(item.epoch):
            raise HamtaError("unauthorized")  # password changed or reset since
        return cls(
            token_hash=token_hash, msisdn=item.msisdn,
            ownership=int(item.ownership) if item.ownership is not None else None,
            national_id=item.national_id, must_change_password=bool(item.must_change_password),
            person=person,
        )

    def cartable(self) -> dict:
        return {"kind": NATIONAL_ID, "national_id": self.national_id}

    def listed_sims(self) -> list[dict]:
        """GET /me's sims: the cartable's SIMs, each with its status."""
        return cartable_sims.list_sims(self.person)

    def is_open(self) -> bool:
        return True

    def devices_query(self) -> Iterable[DeviceModel]:
        return DeviceModel.by_owner.query(self.national_id)

    def owns(self, device: DeviceModel) -> bool:
        return (
            not device.main_imei
            and device.state != UNCLAIMED
            and device.owner_nid is not None
            and device.owner_nid == self.national_id
        )

    def own_numbers(self) -> set[str]:
        return set(plain_map(self.person.sims if self.person else None))

    def sim_ownerships(self) -> dict[str, int]:
        """{msisdn: ownership} of the SIMs the cartable holds (as its person item lists them)."""
        person = self.person
        return {n: e["ownership"] for n, e in cartable_sims.entries(person).items()} if person else {}

    def sims_held(self) -> dict[str, SimModel]:
        return {}  # its SIM records are read with the move

    def sims_to_read(self) -> set[str]:
        """The SIM records a move needs: those of the cartable's SIMs."""
        return set(self.sim_ownerships())

    def transfers_key(self) -> str | None:
        return nid_cartable(self.national_id)

    def linked_national_id(self) -> str | None:
        return self.national_id

    def target(self, msisdn: str | None, sims: dict[str, SimModel], allow_no_sim: bool = False) -> Target:
        """A new device goes on the SIM named, or else on the cartable's first active SIM
        (by when it was added); with `allow_no_sim` (recovery) a cartable without an active
        SIM still takes it by national ID. `sims`: the cartable's SIM records, read with the
        move. Else 409 sim_inactive."""
        entries = plain_map(self.person.sims if self.person else None)
        active = []
        for number, entry in sorted(entries.items(), key=lambda kv: kv[1].get("added_at") or 0):
            sim = sims.get(number)
            ownership = int(entry.get("ownership") or 0)
            if sim is not None and sim_records.ownership_status(sim, ownership) == sim_records.ACTIVE:
                active.append((number, ownership))
        if msisdn is not None:
            active = [(n, o) for n, o in active if n == msisdn]
        if active:
            number, ownership = active[0]
            return Target(number, ownership, sim_key(number, ownership), self.national_id)
        if allow_no_sim and msisdn is None:
            return Target(None, None, None, self.national_id)
        raise HamtaError("sim_inactive")

    def login_counter_key(self) -> str | None:
        """Its password, re-entered for a sensitive act, counts on the login lock."""
        return login_key(self.national_id)

    def unblock_asks_password(self, device: DeviceModel) -> bool:
        return True  # a national-ID session always re-enters its password to lift a block

    def end_all_sessions(self) -> None:
        """DELETE /me/sessions: every session of the cartable (this one included) and the
        SIM-login sessions of its SIMs."""
        read = [self.person]

        def attempt() -> None:
            person = read.pop() if read else PersonModel.get(self.national_id, consistent_read=True)
            if _epoch(person.session_epoch) != _epoch(self.person.session_epoch):
                return  # ended already by someone else: so is this one
            end_cartable_sessions(person)

        retry_on_race(attempt)


# What a service takes as its caller: either kind, answering the same questions.
Caller = Union[SimCartable, NationalIdCartable]
KINDS: dict[str, type] = {SIM: SimCartable, NATIONAL_ID: NationalIdCartable}
