"""AWS calls per SMS through the gate (chalicelib/sms_gate.py), by class, counted at
botocore's one door.

Budget: the gate adds at most ONE conditional write to a send (the provider's call, SNS
Publish here, is the second): a code counted alone is UpdateItem + Publish; a notice, a
warning or an answer to 7777 is one TransactWriteItems (budget + its cap) + Publish; a code
counted in its caller's own transaction (a sign-in, a traveller) is the Publish alone;
anything held back is its one write and nothing sent. Prints one JSON object and one line
per case on stderr; exits non-zero when a case is over its budget.

    .venv/bin/python bench/sms_calls.py
"""
from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from bench.calls import app_bench, prepare_environment, report  # noqa: E402
from testkit.calls import count_calls  # noqa: E402

prepare_environment(NOTICES_PER_NUMBER_PER_DAY="1", OPERATOR_WARNINGS_PER_DAY="1")


def main() -> None:
    from chalicelib import sms_gate

    results: dict[str, dict] = {}

    def measure(case: str, budget: int, send) -> None:
        with count_calls() as counts:
            send()
        results[case] = {"calls": counts.total, "ops": counts.ops, "budget": budget,
                         "ok": counts.total <= budget}

    with app_bench():
        sms_gate.prepare()  # the SNS client made, as a warm container has it
        measure("code (send_code: its own count)", 2, lambda: sms_gate.send_code("09120000001", "x"))
        measure("code (deliver_code: counted in the caller's transaction)", 1,
                lambda: sms_gate.deliver_code("09120000002", "x", None))
        measure("notice (send_notice)", 2, lambda: sms_gate.send_notice("09120000003", "x"))
        measure("notice held (NOTICES_PER_NUMBER_PER_DAY)", 1,
                lambda: sms_gate.send_notice("09120000003", "x"))
        measure("warning (send_warning)", 2, lambda: sms_gate.send_warning("09120000004", "x", "MCI"))
        measure("warning held (OPERATOR_WARNINGS_PER_DAY)", 1,
                lambda: sms_gate.send_warning("09120000005", "x", "MCI"))
        measure("answer to 7777 (send_answer)", 2, lambda: sms_gate.send_answer("09120000006", lambda: "x"))
    report(results)


if __name__ == "__main__":
    main()
