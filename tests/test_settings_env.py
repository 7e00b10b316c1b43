"""The test run owns its settings: nothing from the caller's shell leaks in."""
from __future__ import annotations

import os

from tests.conftest import SETTING_NAMES


def test_every_setting_of_settings_py_is_cleared_from_the_shell():
    # The names are read from settings.py itself; these are the ones that once leaked.
    for name in (
        "IMEI_INQUIRY_MAX_PER_WINDOW", "IMEI_INQUIRY_WINDOW_SECONDS", "TRANSFER_CODE_TTL_SECONDS",
        "RECOVERY_LOCK_SECONDS", "EXPIRY_TIME_BUDGET_SECONDS", "EXPIRY_WORKERS",
        "EXPIRY_LOOKBACK_DAYS", "OTP_TTL_SECONDS", "SIM_ADDS_PER_DAY", "SMS_MAX_PER_WINDOW",
    ):
        assert name in SETTING_NAMES
    leaked = sorted(
        n for n in SETTING_NAMES & set(os.environ)
        if n not in ("AWS_DEFAULT_REGION", "HAMTA_STAGE", "HAMTA_SECRET_KEY", "CAPTCHA_MODE",
                     "FORGOT_ANSWER_FLOOR_MS")
    )
    assert leaked == []
