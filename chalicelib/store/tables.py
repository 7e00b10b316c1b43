"""The list of tables, and pointing them at the current settings (tests, scripts, bench).

Above every table module: it imports them all, none imports it back, and the request path
never imports it (a Lambda's models take their settings when first used).
"""
from __future__ import annotations

from typing import Iterator

import boto3
from pynamodb.models import Model

from chalicelib import settings
from chalicelib.store import (
    challenges,
    connections,
    devices,
    enforcement_log,
    history,
    models_table,
    observations,
    people,
    sims,
    transfer_records,
    travellers,
)
from chalicelib.store.base import table_name


def all_models() -> list[type[Model]]:
    """One model per table."""
    return [
        people.PersonModel,
        sims.SimModel,
        devices.DeviceModel,
        history.HistoryModel,
        challenges.ChallengeModel,
        enforcement_log.LogEntryModel,
        models_table.PhoneModelEntry,
        travellers.TravellerModel,
        transfer_records.TransferRecordModel,
        observations.ObservationModel,
    ]


def iter_models_sharing_tables() -> Iterator[type[Model]]:
    """Every model class, including the item kinds that share the challenges table."""
    yield from all_models()
    yield from challenges.ITEM_MODELS


def configure() -> None:
    """Point every model at the current settings' tables, endpoint and region."""
    for model in iter_models_sharing_tables():
        model.Meta.table_name = table_name(model.SHORT_NAME)
        model.Meta.host = settings.AWS_ENDPOINT
        model.Meta.region = settings.REGION
        connections.forget(model)
    connections.forget_transaction_connection()


def create_tables() -> None:
    """Create every table with its indexes and TTL (local run and tests; infra/ on AWS)."""
    dynamodb = boto3.client(
        "dynamodb", region_name=settings.REGION, endpoint_url=settings.AWS_ENDPOINT
    )
    for model in all_models():
        if not model.exists():
            model.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
        ttl = getattr(model, "TTL_ATTRIBUTE", None)
        if not ttl:
            continue
        # Asked first: LocalStack, like DynamoDB, refuses to enable a TTL that is enabled.
        current = dynamodb.describe_time_to_live(TableName=model.Meta.table_name)
        if current["TimeToLiveDescription"].get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            dynamodb.update_time_to_live(
                TableName=model.Meta.table_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl},
            )
