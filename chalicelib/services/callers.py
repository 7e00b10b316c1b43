"""The two kinds of cartable a session opens, as types: what the services ask of a caller.

`sessions.Caller` is what a session is (its token's item and what was read to check it);
`cartable_of(caller)` is that cartable, a SimCartable or a NationalIdCartable, each
answering the same few questions its own way, so the services ask instead of branching on
`caller.kind`. (Built on the Caller, not in its place: sessions.py keeps how a session is
stored and read.)
"""
from __future__ import annotations

from typing import Iterable, Union

from chalicelib.services import cartable_sims, sim_records
from chalicelib.services.sessions import SIM, Caller
from chalicelib.store.devices import DeviceModel, sim_key
from chalicelib.store.sims import SimModel
from chalicelib.store.transfer_records import nid_cartable, sim_cartable

UNCLAIMED = "unclaimed"  # services.devices.UNCLAIMED: a registered device in no cartable


class SimCartable:
    """A SIM session: the devices on (msisdn, ownership) while that SIM is live."""

    def __init__(self, caller: Caller) -> None:
        self.caller = caller

    def is_open(self) -> bool:
        """An expired SIM's cartable is empty at once, job or no job."""
        return self.caller.sim is not None and sim_records.is_live(self.caller.sim)

    def devices_query(self) -> Iterable[DeviceModel]:
        """Its devices, in the order they joined (one Query on by_sim)."""
        if not self.is_open():
            return []
        rows = DeviceModel.by_sim.query(sim_key(self.caller.msisdn, self.caller.ownership))
        return [device for device in rows if self._sees(device)]

    def owns(self, device: DeviceModel) -> bool:
        return (
            not device.main_imei
            and device.state != UNCLAIMED
            and device.sim_key is not None
            and device.sim_key == sim_key(self.caller.msisdn, self.caller.ownership)
            and self.is_open()
            and self._sees(device)
        )

    def sim_ownerships(self) -> dict[str, int]:
        """{msisdn: ownership} of its SIM: none once the SIM is dead."""
        return {self.caller.msisdn: int(self.caller.ownership)} if self.is_open() else {}

    def sims_held(self) -> dict[str, SimModel]:
        """The SIM records the session already read (its own SIM)."""
        sim = self.caller.sim
        return {sim.msisdn: sim} if sim is not None else {}

    def transfers_key(self) -> str | None:
        return sim_cartable(self.caller.msisdn, self.caller.ownership) if self.is_open() else None

    def _sees(self, device: DeviceModel) -> bool:
        """A device of a national-ID cartable shows in a SIM cartable only while that SIM is
        one of the cartable's SIMs: once removed (DELETE /sims/{msisdn}), its SIM logins no
        longer reach the national-ID cartable's devices."""
        if not device.owner_nid:
            return True
        sim = self.caller.sim
        linked = (
            sim.cartable_nid
            if sim is not None and int(sim.cartable_ownership or 0) == self.caller.ownership
            else None
        )
        return device.owner_nid == linked


class NationalIdCartable:
    """A national-ID session: the devices whose owner_nid is its national ID."""

    def __init__(self, caller: Caller) -> None:
        self.caller = caller

    def is_open(self) -> bool:
        return True

    def devices_query(self) -> Iterable[DeviceModel]:
        return DeviceModel.by_owner.query(self.caller.national_id)

    def owns(self, device: DeviceModel) -> bool:
        return (
            not device.main_imei
            and device.state != UNCLAIMED
            and device.owner_nid is not None
            and device.owner_nid == self.caller.national_id
        )

    def sim_ownerships(self) -> dict[str, int]:
        """{msisdn: ownership} of the SIMs the cartable holds (as its person item lists them)."""
        person = self.caller.person
        return {n: e["ownership"] for n, e in cartable_sims.entries(person).items()} if person else {}

    def sims_held(self) -> dict[str, SimModel]:
        return {}  # its SIM records are read with the move (services.devices)

    def transfers_key(self) -> str | None:
        return nid_cartable(self.caller.national_id)


Cartable = Union[SimCartable, NationalIdCartable]


def cartable_of(caller: Caller) -> Cartable:
    return SimCartable(caller) if caller.kind == SIM else NationalIdCartable(caller)
