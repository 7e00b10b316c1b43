"""The expiry job's writes: one SIM's change and its devices leaving a dead SIM cartable.

Every write is conditioned on what was read (the version, and the device still being in
that SIM cartable), and history keys are deterministic, so a write repeated by a rerun
rewrites the same items instead of adding new ones.
"""
from __future__ import annotations

from typing import Any

from pynamodb.exceptions import PynamoDBException
from pynamodb.transactions import TransactWrite

# RaceLost: the SIM or a device changed since we read it (read again and decide again).
from chalicelib.store.base import RaceLost, lost_race, transact_write
from chalicelib.store.devices import DeviceModel, sim_key
from chalicelib.store.history import new_event
from chalicelib.store.sims import SimModel

# DynamoDB takes at most 100 actions per transaction: 2 per device (update + history) and
# the SIM; a SIM with more devices is tidied in several transactions, the SIM's last.
DEVICES_PER_TRANSACTION = 45

# (device, ownership it leaves, when that ownership ended, why: "expired" | "transferred")
Move = tuple[DeviceModel, int, float, str]


def devices_of(msisdn: str, ownership: int) -> list[DeviceModel]:
    """The devices still in SIM cartable (msisdn, ownership): one Query on by_sim."""
    return list(DeviceModel.by_sim.query(sim_key(msisdn, ownership)))


def commit(sim: SimModel, actions: list, condition: Any, moves: list[Move]) -> dict[str, int]:
    """Write the SIM's change and its devices' departures; the SIM's change goes last, so
    until it lands the SIM stays on its index and a later run finishes the job.

    Returns the counts of devices now awaiting recovery and kept by a national-ID
    cartable; RaceLost if anything read has changed since."""
    counts = {"devices_awaiting_recovery": 0, "devices_kept": 0}
    chunks = [moves[i : i + DEVICES_PER_TRANSACTION] for i in range(0, len(moves), DEVICES_PER_TRANSACTION)]
    try:
        if not chunks:
            sim.update(actions=actions, condition=condition)  # no device: one UpdateItem
            return counts
        for index, chunk in enumerate(chunks):
            with transact_write() as tx:
                for device, n, ended_at, why in chunk:
                    kept = detach(tx, device, sim.msisdn, n, ended_at, why)
                    counts["devices_kept" if kept else "devices_awaiting_recovery"] += 1
                if index == len(chunks) - 1:
                    tx.update(sim, actions=actions, condition=condition)
    except PynamoDBException as error:
        if lost_race(error):
            raise RaceLost() from None
        raise
    return counts


def detach(tx: TransactWrite, device: DeviceModel, msisdn: str, n: int, ended_at: float, why: str) -> bool:
    """The device leaves SIM cartable (msisdn, n); in no national-ID cartable it now awaits
    recovery. Its "detached" event is keyed by the ownership's end, so a rerun that got
    this far rewrites the same item instead of adding one. Returns True if a national-ID
    cartable keeps it."""
    actions = [DeviceModel.sim_key.remove()]
    if not device.owner_nid:
        actions.append(DeviceModel.awaiting_recovery.set(ended_at))
    # The version condition (added by PynamoDB) holds the device to the state we read.
    tx.update(device, actions=actions, condition=DeviceModel.sim_key == sim_key(msisdn, n))
    tx.save(new_event(device.imei, "detached", at=ended_at, msisdn=msisdn, detail=why))
    return bool(device.owner_nid)
