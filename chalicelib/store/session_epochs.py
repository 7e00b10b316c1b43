"""The epochs that end sessions: a SIM's (its SIM logins) and a person's (the whole cartable).

A session is bound to the epoch of the SIM or person it opened; bumping that epoch ends
every such session at once (services/signin/sessions.py checks it on each request).
"""
from __future__ import annotations

from pynamodb.exceptions import TransactWriteError, UpdateError

from chalicelib.store.base import RaceLost, lost_race, plain_map, transact_write
from chalicelib.store.people import PersonModel
from chalicelib.store.sims import SimModel


def end_cartable_sessions(person: PersonModel, actions: list | None = None) -> int:
    """End every session of a national-ID cartable and the SIM-login sessions of its SIMs
    (those of the ownership each SIM was added in), with `actions` on the person, in ONE
    transaction conditioned on the person as read. Returns the new epoch; RaceLost if
    anything moved."""
    new_epoch = int(person.session_epoch or 0) + 1
    listed = plain_map(person.sims)
    sims = [
        sim
        for sim in (SimModel.batch_get(list(listed), consistent_read=True) if listed else [])
        if int(sim.ownership) == int((listed.get(sim.msisdn) or {}).get("ownership") or 0)
    ]
    try:
        with transact_write() as t:
            t.update(person, actions=[PersonModel.session_epoch.set(new_epoch), *(actions or [])])
            for sim in sims:
                t.update(
                    sim,
                    actions=[SimModel.session_epoch.add(1)],
                    condition=SimModel.ownership == int(sim.ownership),
                    add_version_condition=False,
                )
    except TransactWriteError as error:
        if lost_race(error):
            raise RaceLost() from error
        raise
    return new_epoch


def end_sim_sessions(msisdn: str, ownership: int) -> None:
    """End every SIM-login session of that ownership of the number (nothing if it moved on)."""
    try:
        SimModel(msisdn).update(
            actions=[SimModel.session_epoch.add(1)],
            condition=SimModel.ownership == ownership,
            add_version_condition=False,
        )
    except UpdateError as error:
        if not lost_race(error):
            raise
