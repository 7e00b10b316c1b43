"""Network enforcement through `scripts/local.py`: the enforce interval, and a dump dropped
into the emulated S3 going through SQS and the workers (chalice local runs neither)."""
from __future__ import annotations

import gzip
import time

import boto3

from testkit import ids
from testkit.local_run import OPERATOR


def wait_until(check, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError("not in time")


def test_observed_pairs_are_blocked_by_the_interval_job_and_dumps_are_judged(run):  # noqa: F811
    local = run("--enforce-interval", "1",
                env={"ENFORCEMENT_GRACE_SECONDS": "2", "ENFORCEMENT_MIN_NOTICE_SECONDS": "2"})
    imei, msisdn = ids.imei(), ids.msisdn()
    status, data = local.call("POST", "/operator/observations", {
        "observations": [{"imei": imei, "msisdn": msisdn, "seen_at": int(time.time())}]}, token=OPERATOR)
    assert (status, data) == (202, {"accepted": 1, "rejected": []})
    local.wait_for(lambda line: line.startswith("SMS to +98" + msisdn[1:]), timeout=10)

    def blocked():
        entries = local.call("GET", "/operator/enforcement", token=OPERATOR)[1]["entries"]
        return [e for e in entries if e["imei"] == imei]

    (entry,) = wait_until(blocked)
    assert (entry["msisdn"], entry["action"], entry["reason"]) == (msisdn, "block", "unregistered")

    # A dump in the bucket: split onto the queue and judged by the workers.
    dumped_imei, dumped_msisdn = ids.imei(), ids.msisdn()
    s3 = boto3.client("s3", endpoint_url=local.aws, region_name="us-east-1",
                      aws_access_key_id="x", aws_secret_access_key="x")
    body = f"imei,msisdn,seen_at\n{dumped_imei},{dumped_msisdn},{int(time.time())}\n"
    s3.put_object(Bucket="hamta-local-observations", Key="observations/op/today.csv.gz",
                  Body=gzip.compress(body.encode()))
    local.wait_for(lambda line: line.startswith("SMS to +98" + dumped_msisdn[1:]), timeout=20)
    assert local.stop() == 0
