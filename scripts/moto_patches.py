"""What the local run and the tests change in moto so that it behaves as AWS does: DynamoDB
writes atomic per item, and no DynamoDB object kept for moto's dashboard."""
from __future__ import annotations

import threading


def untracked_dynamodb_instances() -> None:
    """Stop the in-process moto from keeping every DynamoDB object it ever made.

    moto keeps each model instance it creates, forever, for its dashboard and data.json,
    and a DynamoDB transaction deep-copies every table it touches (its rollback backup):
    the kept items grow with requests times table size (about 100 per OTP request with a
    few hundred items in the challenges table). data.json, where the SMS are read, then
    took seconds after a few hundred requests, more after every one, and the memory never
    came back. DynamoDB's instances are no longer kept (their rows in data.json were those
    dead copies anyway, not the tables' contents); SNS's SMS and everything else still are.
    """
    from moto.core.common_models import BaseModel

    if getattr(BaseModel.__new__, "_hamta_untracked", False):
        return

    def new(cls, *args, **kwargs):  # type: ignore[no-untyped-def]
        instance = super(BaseModel, cls).__new__(cls)
        if not cls.__module__.startswith("moto.dynamodb."):
            cls.instances_tracked.append(instance)
        return instance

    new._hamta_untracked = True  # type: ignore[attr-defined]
    BaseModel.__new__ = staticmethod(new)  # type: ignore[method-assign,assignment]


_MOTO_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")
_moto_write_lock = threading.RLock()


def atomic_moto_writes() -> None:
    """Make the in-process moto server's DynamoDB writes atomic, as DynamoDB's are.

    moto checks a write's condition and then applies it with no lock: under concurrent
    requests two `failures < 5` updates can both see 4 and both write, which DynamoDB
    never allows for one item, so attempt budgets would leak on the emulator alone. One
    lock around each write restores DynamoDB's per-item atomicity (tests/servers.py too).
    """
    from moto.dynamodb.models import DynamoDBBackend

    for name in _MOTO_WRITES:
        real = getattr(DynamoDBBackend, name)
        if getattr(real, "_hamta_atomic", False):
            continue

        def atomic(self, *args, _real=real, **kwargs):  # type: ignore[no-untyped-def]
            with _moto_write_lock:
                return _real(self, *args, **kwargs)

        atomic._hamta_atomic = True  # type: ignore[attr-defined]
        setattr(DynamoDBBackend, name, atomic)
