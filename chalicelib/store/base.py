"""What every table shares: its name and endpoint from settings, and a way to re-point them.

PynamoDB reads `Meta` when a model is first used and caches one connection per class;
`configure()` re-applies settings (tests and scripts/local.py change the endpoint) and
drops those cached connections.
"""
from __future__ import annotations

from typing import Iterator

from pynamodb.models import Model

from chalicelib import settings


def table_name(short: str) -> str:
    return settings.TABLE_PREFIX + short


class BaseMeta:
    """Mixed into each model's Meta; host and region come from settings."""

    region = settings.REGION
    host = settings.AWS_ENDPOINT
    billing_mode = "PAY_PER_REQUEST"


def all_models() -> list[type[Model]]:
    # Imported here, not at module top: each table module imports this one.
    from chalicelib.store import challenges, devices, history, people, sims

    return [
        people.PersonModel,
        sims.SimModel,
        devices.DeviceModel,
        history.HistoryModel,
        challenges.ChallengeModel,
    ]


def iter_models_sharing_tables() -> Iterator[type[Model]]:
    """Every model class, including the item kinds that share the challenges table."""
    from chalicelib.store import challenges

    yield from all_models()
    yield from challenges.ITEM_MODELS


def configure() -> None:
    """Point every model at the current settings' tables, endpoint and region."""
    for model in iter_models_sharing_tables():
        model.Meta.table_name = table_name(model.SHORT_NAME)
        model.Meta.host = settings.AWS_ENDPOINT
        model.Meta.region = settings.REGION
        model._connection = None


def create_tables() -> None:
    """Create every table with its indexes and TTL (local run and tests; infra/ on AWS)."""
    import boto3

    for model in all_models():
        if not model.exists():
            model.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
        ttl = getattr(model, "TTL_ATTRIBUTE", None)
        if ttl:
            boto3.client(
                "dynamodb", region_name=settings.REGION, endpoint_url=settings.AWS_ENDPOINT
            ).update_time_to_live(
                TableName=model.Meta.table_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl},
            )


def transact_write():  # -> pynamodb.transactions.TransactWrite
    """A TransactWrite on the configured endpoint (PynamoDB's default connection has none)."""
    from pynamodb.connection import Connection
    from pynamodb.transactions import TransactWrite

    return TransactWrite(connection=Connection(region=settings.REGION, host=settings.AWS_ENDPOINT))


def transaction_condition_failed(error: Exception) -> bool:
    """A TransactWriteError whose cause was a failed condition (the state moved under us)."""
    reasons = getattr(error, "cancellation_reasons", None) or []
    return any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons)


def condition_failed(error: Exception) -> bool:
    """A PutError / UpdateError / DeleteError caused by a failed condition."""
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"
