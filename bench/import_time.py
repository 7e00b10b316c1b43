"""Cold-start cost: importing `app` versus importing chalice + boto3 + pynamodb alone.

Issue 16's budget: at most 1.10x from source, median of 7. `import app` no longer imports
boto3 or PynamoDB's models itself (routes import their services on first use, see
chalicelib/lazy.py), so the ratio that is checked is the honest one: `import app` plus the
stack it will need at its first request, against the stack alone; `import app` alone is
printed too. Each figure is the median of fresh interpreters, so the
OS file cache is warm but no module is. The libraries come with their bytecode (pip
compiles them); our own code is measured twice, from a copy of the project:
- "source": no bytecode, compiled at every import. That is a Lambda whose package ships
  only .py files: /var/task is read-only, so nothing is ever cached.
- "packaged": with the unchecked-hash .pyc files scripts/package.py puts in the package.
Prints one JSON line.

    .venv/bin/python bench/import_time.py [--runs 15]
"""
from __future__ import annotations

import argparse
import compileall
import json
import os
import py_compile
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASELINE = "import chalice, chalice.app, boto3, pynamodb.models"
APP = "import app"
APP_WITH_STACK = "import app, chalice.app, boto3, pynamodb.models"
BUDGET_RATIO = 1.10


def _once(statement: str, cwd: str) -> float:
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": "us-east-1",
        "HAMTA_STAGE": "bench",
        "PYTHONDONTWRITEBYTECODE": "1",  # each run sees the copy exactly as prepared
    }
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def _project_copy(into: str, compiled: bool) -> str:
    target = os.path.join(into, "compiled" if compiled else "source")
    os.makedirs(target)
    shutil.copy(os.path.join(ROOT, "app.py"), target)
    shutil.copytree(
        os.path.join(ROOT, "chalicelib"), os.path.join(target, "chalicelib"),
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    if compiled:
        compileall.compile_dir(
            os.path.join(target, "chalicelib"), quiet=1,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
    return target


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        source, packaged = _project_copy(tmp, False), _project_copy(tmp, True)
        baseline, from_source, from_package, alone = [], [], [], []
        for _ in range(args.runs):  # interleaved, so drift in machine load hits all alike
            baseline.append(_once(BASELINE, source))
            from_source.append(_once(APP_WITH_STACK, source))
            from_package.append(_once(APP_WITH_STACK, packaged))
            alone.append(_once(APP, source))
    b = statistics.median(baseline)
    s, p = statistics.median(from_source), statistics.median(from_package)
    a = statistics.median(alone)
    figures = {
        "baseline_ms": round(b * 1000, 1),
        "app_source_ms": round(s * 1000, 1),
        "app_packaged_ms": round(p * 1000, 1),
        "app_alone_source_ms": round(a * 1000, 1),
        # Median of each round's ratio: a round's runs are back to back, so a load that
        # drifts over the bench (other processes on the machine) cancels within a round.
        "ratio_source": round(statistics.median(x / y for x, y in zip(from_source, baseline)), 3),
        "ratio_packaged": round(statistics.median(x / y for x, y in zip(from_package, baseline)), 3),
        "ratio_alone_source": round(a / b, 3),
        "budget_ratio": BUDGET_RATIO,
        "runs": args.runs,
        "bench_seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(figures))
    if figures["ratio_source"] > BUDGET_RATIO:
        raise SystemExit(f"over budget: import app from source {figures['ratio_source']}x the stack")


if __name__ == "__main__":
    main()
