"""The devices table: one item per device, keyed by its (first) IMEI.

A dual-IMEI phone's second IMEI is a small alias item (`main_imei`) pointing at the
device, so either IMEI finds it. Only device items carry the index keys, so aliases
never show in a cartable.
"""
from __future__ import annotations

from pynamodb.attributes import (
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.store.base import table_meta


class BySimIndex(GlobalSecondaryIndex):
    """A SIM cartable's devices: `sim_key` is "<msisdn>#<ownership>"."""

    class Meta:
        index_name = "by_sim"
        projection = AllProjection()

    sim_key = UnicodeAttribute(hash_key=True)
    joined_at = NumberAttribute(range_key=True)


class ByOwnerIndex(GlobalSecondaryIndex):
    """A national-ID cartable's devices."""

    class Meta:
        index_name = "by_owner"
        projection = AllProjection()

    owner_nid = UnicodeAttribute(hash_key=True)
    joined_at = NumberAttribute(range_key=True)


def sim_key(msisdn: str, ownership: int) -> str:
    return f"{msisdn}#{ownership}"


class DeviceModel(Model):
    SHORT_NAME = "devices"

    Meta = table_meta(SHORT_NAME)

    imei = UnicodeAttribute(hash_key=True)
    main_imei = UnicodeAttribute(null=True)  # set only on a second IMEI's alias item
    imei2 = UnicodeAttribute(null=True)
    brand = UnicodeAttribute(null=True)
    model = UnicodeAttribute(null=True)
    source = UnicodeAttribute(null=True)  # import | manufacture | passenger | repair_part
    registered_at = NumberAttribute(null=True)  # when the registrar registered it
    # unclaimed (registrar's, in no cartable) | active | transfer_pending | blocked | replaced
    # | part (a repair part: no code, claimed only by a repair)
    state = UnicodeAttribute(null=True)
    activation_code = UnicodeAttribute(null=True)
    offer_expires_at = NumberAttribute(null=True)  # a sale's code dies then
    prior_code = UnicodeAttribute(null=True)  # shown again if a sale is withdrawn
    # The SIM ownership it is registered on; kept after that ownership dies, for recovery.
    msisdn = UnicodeAttribute(null=True)
    ownership = NumberAttribute(null=True)
    sim_key = UnicodeAttribute(null=True)  # removed once the device leaves the SIM cartable
    owner_nid = UnicodeAttribute(null=True)
    joined_at = NumberAttribute(null=True)  # microseconds; the cartable's row order
    # Set by the expiry job when the SIM ownership died and no national-ID cartable holds it.
    awaiting_recovery = NumberAttribute(null=True)
    # Lost or stolen (services/devices/blocking.py): why, and from which kind of cartable.
    block_reason = UnicodeAttribute(null=True)  # lost | stolen
    blocked_from = UnicodeAttribute(null=True)  # sim | national_id
    # When it last changed between blocked and unblocked, newest first; at most
    # BLOCK_CHANGES_PER_DAY of the last 24 h are kept (services/devices/blocking.py).
    block_changes = ListAttribute(of=NumberAttribute, null=True)
    # Repairs (services/devices/repair.py): an old IMEI's item stays for ever as state "replaced",
    # pointing at the device's IMEI after the repair; the device lists its former IMEIs,
    # under which its earlier history events stay.
    replaced_by = UnicodeAttribute(null=True)
    former_imeis = ListAttribute(of=UnicodeAttribute, null=True)
    # The device's first IMEI: its marker always points at the IMEI the device has now,
    # so any old IMEI finds the device in two hops however many repairs back.
    chain_root = UnicodeAttribute(null=True)
    repairs_at = ListAttribute(of=NumberAttribute, null=True)  # when it was repaired (the yearly cap)
    # The SIMs told of a sale's offer, told again when the sale completes.
    notify_numbers = ListAttribute(of=UnicodeAttribute, null=True)
    version = VersionAttribute()

    by_sim = BySimIndex()
    by_owner = ByOwnerIndex()


def find_device(imei: str, consistent: bool = True) -> DeviceModel | None:
    """The device either of its IMEIs names (an alias item leads to the main one)."""
    from pynamodb.exceptions import DoesNotExist

    try:
        item = DeviceModel.get(imei, consistent_read=consistent)
    except DoesNotExist:
        return None
    if item.main_imei:
        try:
            return DeviceModel.get(item.main_imei, consistent_read=consistent)
        except DoesNotExist:
            return None
    return item
