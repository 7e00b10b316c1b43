"""Code and infrastructure cannot drift: tables, IAM policies and stage config against the code."""
from __future__ import annotations

import json
import os

import pytest

from chalicelib import settings
from chalicelib.store import tables
from testkit import ids
from tests.deployment import CONFIG, ROOT, TEMPLATE, load

STAGES = ("dev", "prod")


def declared_tables() -> dict[str, dict]:
    """{short name: Properties} of every table in the merge template."""
    tables = {}
    for resource in TEMPLATE["Resources"].values():
        if resource.get("Type") == "AWS::DynamoDB::Table":  # chalice-made ones hold only DependsOn
            props = resource["Properties"]
            name = props["TableName"]["Fn::Sub"]
            assert name.startswith("hamta-${Stage}-"), name
            tables[name[len("hamta-${Stage}-"):]] = props
    return tables


def keys(key_schema: list[dict]) -> dict[str, str]:
    return {k["KeyType"]: k["AttributeName"] for k in key_schema}


def model_schema(model) -> dict:
    schema = model._get_schema()
    return {
        "attributes": {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]},
        "keys": keys(schema["key_schema"]),
        "indexes": {
            g["index_name"]: (keys(g["key_schema"]), g["projection"]["ProjectionType"])
            for g in schema["global_secondary_indexes"]
        },
        "ttl": getattr(model, "TTL_ATTRIBUTE", None),
    }


def template_schema(props: dict) -> dict:
    return {
        "attributes": {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]},
        "keys": keys(props["KeySchema"]),
        "indexes": {
            g["IndexName"]: (keys(g["KeySchema"]), g["Projection"]["ProjectionType"])
            for g in props.get("GlobalSecondaryIndexes", [])
        },
        "ttl": (props.get("TimeToLiveSpecification") or {}).get("AttributeName"),
    }


def test_the_template_declares_exactly_the_models_tables():
    declared = declared_tables()
    models = {model.SHORT_NAME: model for model in tables.all_models()}
    assert set(declared) == set(models)
    for short, model in models.items():
        assert template_schema(declared[short]) == model_schema(model), short


def test_every_table_is_recoverable_and_protected_on_prod():
    for short, props in declared_tables().items():
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert props["DeletionProtectionEnabled"] == {"Fn::If": ["IsProd", True, False]}, short
        assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert TEMPLATE["Conditions"]["IsProd"] == {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}


def test_table_names_follow_the_settings_prefix(monkeypatch):
    for stage in STAGES:
        monkeypatch.setenv("HAMTA_STAGE", stage)
        settings.reload()
        tables.configure()
        for model in tables.all_models():
            assert model.Meta.table_name == f"hamta-{stage}-{model.SHORT_NAME}"
    settings.reload()
    tables.configure()


@pytest.mark.parametrize("stage", STAGES)
def test_policy_is_least_privilege_and_covers_every_table(stage):
    policy = load(".chalice", f"policy-{stage}.json")
    allowed = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    actions = {a for s in allowed for a in s["Action"]}
    assert not any("*" in a for a in actions)
    assert "dynamodb:Scan" not in actions
    resources = {r for s in allowed if any(a.startswith("dynamodb:") for a in s["Action"])
                 for r in s["Resource"]}
    expected = {f"arn:aws:dynamodb:*:*:table/hamta-{stage}-{m.SHORT_NAME}" for m in tables.all_models()}
    expected |= {f"arn:aws:dynamodb:*:*:table/hamta-{stage}-{m.SHORT_NAME}/index/*"
                 for m in tables.all_models() if m._get_schema()["global_secondary_indexes"]}
    assert resources == expected
    secret = CONFIG["stages"][stage]["environment_variables"]["HAMTA_SECRET_KEY_PARAMETER"]
    assert {"Sid": "SecretKey", "Effect": "Allow", "Action": ["ssm:GetParameter"],
            "Resource": f"arn:aws:ssm:*:*:parameter{secret}"} in policy["Statement"]


def test_the_policy_allows_every_call_the_code_makes_and_no_more(api, monkeypatch):
    """Every AWS operation a full round of the service makes is in the policy, and every
    DynamoDB action in the policy is used (a transaction is authorised per item action)."""
    from testkit.calls import count_calls
    from chalicelib import clock
    from chalicelib.services.sims import expiry
    from chalicelib.services.network import enforcement
    from tests.conftest import OPERATOR_KEY
    from tests.flows import activate_new_device, add_sim, new_nid_cartable, own_device, sim_login

    with count_calls() as calls:
        nid, msisdn, token = new_nid_cartable(api)
        imei = own_device(api, token, dual=True).imei
        api.get("/devices", token=token)
        api.get(f"/devices/{imei}/history", token=token)
        _, seen = activate_new_device(api, token, msisdn)
        api.post("/operator/observations", {"observations": [
            {"imei": seen, "msisdn": msisdn, "seen_at": int(clock.now())},
            {"imei": ids.imei(), "msisdn": msisdn, "seen_at": int(clock.now()) - 31 * 86400},
        ]}, token=OPERATOR_KEY)
        enforcement.run()
        api.get("/operator/enforcement", token=OPERATOR_KEY)
        offer = api.post(f"/devices/{imei}/transfer", token=token)[1]
        buyer = sim_login(api, ids.msisdn())
        api.post("/devices/activate", {"imei": imei, "activation_code": offer["activation_code"]},
                 token=buyer)
        second = ids.msisdn()
        api.operator_sim(second, nid)
        add_sim(api, token, second)
        api.delete(f"/sims/{second}", token=token)
        api.post("/auth/logout", token=token)
        api.get(f"/imei/{imei}")
        api.operator_sim(msisdn, ids.national_id(), expires_at="2030-01-01T00:00:00Z")
        clock.advance(3600)
        expiry.run()
    used = {"dynamodb:" + op for op in calls if op not in ("Publish",)}
    used |= {"sns:Publish"} if calls["Publish"] else set()
    used.discard("dynamodb:TransactWriteItems")  # authorised per item: Put/Update/Delete
    for stage in STAGES:
        allowed = {a for s in load(".chalice", f"policy-{stage}.json")["Statement"]
                   if s["Effect"] == "Allow" for a in s["Action"]}
        assert used <= allowed, used - allowed
        unused = {a for a in allowed if a.startswith("dynamodb:")} - used
        assert not unused, unused


@pytest.mark.parametrize("stage", STAGES)
def test_stage_config(stage):
    config = CONFIG["stages"][stage]
    assert config["autogen_policy"] is False
    assert os.path.exists(os.path.join(ROOT, ".chalice", config["iam_policy_file"]))
    assert config["environment_variables"]["HAMTA_STAGE"] == stage
    assert config["environment_variables"].get("CAPTCHA_MODE", "image") == "image"
    job = config["lambda_functions"]["expire_sims"]
    # The job stops itself EXPIRY_TIME_BUDGET_SECONDS in, well before the Lambda limit.
    assert job["lambda_timeout"] >= settings.EXPIRY_TIME_BUDGET_SECONDS + 60
    assert job["reserved_concurrency"] == 1
    assert config["lambda_functions"]["api_handler"]["reserved_concurrency"] > 0
    assert "HAMTA_SECRET_KEY" not in config["environment_variables"]


def test_local_stage_has_no_aws_secrets_or_policies():
    local = CONFIG["stages"]["local"]
    assert local["environment_variables"]["HAMTA_STAGE"] == "local"
    assert "HAMTA_SECRET_KEY_PARAMETER" not in local["environment_variables"]


def test_the_schedule_is_hourly():
    import app as app_module

    handler = app_module.app.event_sources[0]
    assert handler.name == "expire_sims"
    assert handler.schedule_expression.to_string() == "rate(1 hour)"


def test_each_rail_has_an_alarm_on_the_metric_its_job_emits(capsys):
    """The jobs' rails put 1 on a metric in Embedded Metric Format (jobs/alarm.py); an
    alarm per rail watches that metric of the stage (docs/rails.md)."""
    from chalicelib.jobs import alarm

    for metric in (alarm.ENFORCEMENT_RAIL, alarm.EXPIRY_RAIL):
        capsys.readouterr()
        alarm.raise_alarm(metric, "held", {"figure": 1})
        (line,) = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith('{"_aws"')]
        (declared,) = line["_aws"]["CloudWatchMetrics"]
        watching = [
            r["Properties"] for r in TEMPLATE["Resources"].values()
            if r.get("Type") == "AWS::CloudWatch::Alarm" and r["Properties"].get("MetricName") == metric
        ]
        assert len(watching) == 1, metric
        (props,) = watching
        assert props["Namespace"] == declared["Namespace"] == alarm.NAMESPACE
        assert declared["Dimensions"] == [["Stage"]] and line[metric] == 1
        assert props["Dimensions"] == [{"Name": "Stage", "Value": {"Ref": "Stage"}}]
        assert props["Threshold"] == 0 and props["ComparisonOperator"] == "GreaterThanThreshold"
        assert "docs/rails.md" in props["AlarmDescription"]
