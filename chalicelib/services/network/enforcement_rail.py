"""The enforcement job's safety rail, per operator (API.md "Network enforcement",
docs/rails.md): one operator's bad batch holds only that operator's new blocks.

For each operator (the one that first reported the pair) the run counts its due pairs
judged, put right or not, and those it would block. Over ENFORCEMENT_MAX_BLOCK_PERCENT
(with at least ENFORCEMENT_RAIL_MIN_PAIRS judged) the operator is held: none of its pairs
move, the figures are logged and an alarm raised, and its blocks wait until a person
releases one run (`rail_allow` on the operator's item: docs/rails.md). Every other
operator's blocks go ahead.

An operator's approval is noted before its blocks are written (`approved_until`), so a run
cut short is finished by the next without its approved blocks being counted twice. It
covers only pairs due AND put on the index before it (`queued_at`): a pair stored late,
however early its cut-off, is counted by the run that first reads it.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from aws_lambda_powertools import Logger
from pynamodb.exceptions import UpdateError

from chalicelib import log, settings
from chalicelib.jobs.alarm import ENFORCEMENT_RAIL, raise_alarm
from chalicelib.store import checkpoints
from chalicelib.store.base import condition_failed
from chalicelib.store.challenges import CheckpointItem
from chalicelib.store.observations import ObservationModel

logger = Logger(service=log.SERVICE, child=True)

UNKNOWN = "unknown"  # pairs stored before pairs named their operator
# An index entry may show up this long after its write: an approval covers only pairs
# queued this long before the run read them.
INDEX_LAG_SECONDS = 60


def operator_of(pair: ObservationModel) -> str:
    return pair.operator or UNKNOWN


def operator_key(operator: str) -> str:
    return checkpoints.job_key(f"enforce#operator#{operator}")


@dataclass
class Judgement:
    """The rail's findings: operators held, and why (one line each)."""

    held: set = field(default_factory=set)
    why: list = field(default_factory=list)


def judge(verdicts: list, now: float) -> Judgement:
    """Weigh each operator's share of blocks among its due pairs judged [(pair, reason or
    None)]; consume a person's release where one lets a held operator through."""
    by_operator: dict[str, list] = defaultdict(list)
    for pair, why in verdicts:
        by_operator[operator_of(pair)].append((pair, why))
    items = {item.pk: item for item in CheckpointItem.batch_get([operator_key(op) for op in by_operator])}
    result = Judgement()
    for operator, pairs in sorted(by_operator.items()):
        item = items.get(operator_key(operator))
        approved = float(item.approved_until) if item is not None and item.approved_until else 0.0
        fresh = [(p, why) for p, why in pairs if not _counted_before(p, approved)]
        judged, blocks = len(fresh), sum(1 for _, why in fresh if why is not None)
        limit = settings.ENFORCEMENT_MAX_BLOCK_PERCENT
        if judged < settings.ENFORCEMENT_RAIL_MIN_PAIRS or blocks * 100 <= limit * judged:
            continue
        allow = item.rail_allow if item is not None else None
        if allow is not None and blocks <= int(allow) and _consume(operator, allow):
            logger.warning("enforce rail released by a person", extra={"rail": {
                "operator": operator, "blocks": blocks, "judged": judged, "rail_allow": int(allow)}})
            continue
        line = (
            f"operator {operator}: would block {blocks} of {judged} pairs judged, over "
            f"ENFORCEMENT_MAX_BLOCK_PERCENT={limit}: its blocks held"
        )
        result.held.add(operator)
        result.why.append(line)
        raise_alarm(ENFORCEMENT_RAIL, "enforce safety rail tripped",
                    {"operator": operator, "blocks": blocks, "judged": judged, "percent": limit, "why": line})
    return result


def _counted_before(pair: ObservationModel, approved: float) -> bool:
    """Counted by an approved run already: due and on the index before it read."""
    return (
        pair.queued_at is not None
        and float(pair.queued_at) <= approved
        and float(pair.grace_until) <= approved
    )


def _consume(operator: str, allow: float) -> bool:
    """Take the person's release (once: two runs at once cannot both use it)."""
    try:
        CheckpointItem(operator_key(operator)).update(
            actions=[CheckpointItem.rail_allow.remove()], condition=CheckpointItem.rail_allow == allow
        )
    except UpdateError as error:
        if condition_failed(error):
            return False
        raise
    return True


def approve(operators: set, read_at: float) -> None:
    """Note that these operators' blocks passed, for the pairs due and queued by then."""
    for operator in sorted(operators):
        checkpoints.note(operator_key(operator), approved_until=read_at - INDEX_LAG_SECONDS)


def release(operator: str, allow: int) -> None:
    """A person lets one held run of `operator` block up to `allow` pairs (docs/rails.md)."""
    checkpoints.note(operator_key(operator), rail_allow=allow)
