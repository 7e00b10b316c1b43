"""Cold-start cost: importing `app` versus importing chalice + boto3 + pynamodb alone.

DESIGN.md budget: at most 1.2x. Each figure is the median of fresh interpreters, so the
OS file cache is warm but no module is. Prints one JSON line.

    .venv/bin/python bench/import_time.py [--runs 15]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASELINE = "import chalice, chalice.app, boto3, pynamodb.models"
APP = "import app"


def _once(statement: str) -> float:
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "HAMTA_STAGE": "bench"}
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    started = time.perf_counter()
    baseline, app = [], []
    for _ in range(args.runs):  # interleaved, so drift in machine load hits both alike
        baseline.append(_once(BASELINE))
        app.append(_once(APP))
    b, a = statistics.median(baseline), statistics.median(app)
    print(json.dumps({
        "baseline_ms": round(b * 1000, 1),
        "app_ms": round(a * 1000, 1),
        "ratio": round(a / b, 3),
        "budget_ratio": 1.2,
        "runs": args.runs,
        "bench_seconds": round(time.perf_counter() - started, 1),
    }))


if __name__ == "__main__":
    main()
