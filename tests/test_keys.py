"""The HMAC key: from the environment locally, from SSM on AWS, fetched once per container."""
from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from chalicelib import keys


@pytest.fixture
def fresh_secret(monkeypatch):
    monkeypatch.delenv("HAMTA_SECRET_KEY", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    keys.secret_key.cache_clear()
    yield
    keys.secret_key.cache_clear()


def test_read_once_from_ssm_and_cached(fresh_secret, set_env):
    from testkit.calls import count_calls

    with mock_aws():
        ssm = boto3.client("ssm", region_name="us-east-1")
        ssm.put_parameter(Name="/hamta/prod/secret-key", Value="from-ssm", Type="SecureString")
        set_env(HAMTA_SECRET_KEY_PARAMETER="/hamta/prod/secret-key")
        with count_calls() as calls:
            first = keys.keyed_hash("otp", "123456")
            ssm.put_parameter(Name="/hamta/prod/secret-key", Value="rotated", Type="SecureString",
                              Overwrite=True)
            again = keys.keyed_hash("otp", "123456")
        assert calls["GetParameter"] == 1
        assert first == again
        assert keys.secret_key() == b"from-ssm"


def test_the_environment_wins_locally(fresh_secret, set_env):
    set_env(HAMTA_SECRET_KEY="local-key", HAMTA_SECRET_KEY_PARAMETER="/never/read")
    assert keys.secret_key() == b"local-key"
    assert keys.keyed_hash("otp", "1") != keys.keyed_hash("captcha", "1")


def test_no_secret_is_a_clear_error_at_first_use_not_at_import(fresh_secret, set_env):
    set_env()
    import app  # noqa: F401  (imports fine without any secret)

    with pytest.raises(RuntimeError, match="HAMTA_SECRET_KEY"):
        keys.keyed_hash("otp", "1")
