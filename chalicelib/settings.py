"""Every setting of the service, read from the environment (API.md "Settings").

The caller's environment wins: stage config in `.chalice/config.json` sets only what
the caller did not (stage name, table names on AWS), never the limits below, so a
test or `scripts/local.py` started with `OTP_TTL_SECONDS=5` gets exactly that.

Values are read when this module is imported and again by `reload()` (tests change
the environment, then reload). Code reads them as `settings.NAME` at call time, never
`from settings import NAME`, so a reload reaches everyone.
"""
from __future__ import annotations

import os


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise RuntimeError(f"setting {name} must be a whole number, not {raw!r}") from exc


def _str(name: str, default: str) -> str:
    raw = os.environ.get(name)
    return default if raw is None or raw == "" else raw


def reload() -> None:
    """(Re)read every setting from os.environ."""
    g = globals()
    g["STAGE"] = _str("HAMTA_STAGE", "local")
    g["REGION"] = _str("AWS_REGION", _str("AWS_DEFAULT_REGION", "us-east-1"))
    # One endpoint for every AWS service: moto server or LocalStack locally, None on AWS.
    g["AWS_ENDPOINT"] = os.environ.get("AWS_ENDPOINT_URL") or None
    g["TABLE_PREFIX"] = _str("HAMTA_TABLE_PREFIX", f"hamta-{g['STAGE']}-")

    # API.md "Settings"
    g["OTP_TTL_SECONDS"] = _int("OTP_TTL_SECONDS", 120)
    g["OTP_RESEND_SECONDS"] = _int("OTP_RESEND_SECONDS", 120)
    g["OTP_MAX_ATTEMPTS"] = _int("OTP_MAX_ATTEMPTS", 5)
    g["OTP_MAX_SENDS_PER_DAY"] = _int("OTP_MAX_SENDS_PER_DAY", 5)
    g["CAPTCHA_TTL_SECONDS"] = _int("CAPTCHA_TTL_SECONDS", 120)
    g["CAPTCHA_MODE"] = _str("CAPTCHA_MODE", "image")
    g["LOGIN_MAX_FAILURES"] = _int("LOGIN_MAX_FAILURES", 5)
    g["LOGIN_LOCK_SECONDS"] = _int("LOGIN_LOCK_SECONDS", 900)
    g["ACTIVATION_MAX_ATTEMPTS"] = _int("ACTIVATION_MAX_ATTEMPTS", 5)
    g["ACTIVATION_LOCK_SECONDS"] = _int("ACTIVATION_LOCK_SECONDS", 3600)
    g["RECOVERY_MAX_ATTEMPTS"] = _int("RECOVERY_MAX_ATTEMPTS", 5)
    g["SESSION_TTL_SECONDS"] = _int("SESSION_TTL_SECONDS", 1800)
    g["TEMP_PASSWORD_TTL_SECONDS"] = _int("TEMP_PASSWORD_TTL_SECONDS", 900)
    g["TRAVELLER_WINDOW_DAYS"] = _int("TRAVELLER_WINDOW_DAYS", 30)
    g["TRAVELLER_DEVICES_PER_YEAR"] = _int("TRAVELLER_DEVICES_PER_YEAR", 1)
    g["ENFORCEMENT_GRACE_SECONDS"] = _int("ENFORCEMENT_GRACE_SECONDS", 2592000)
    g["DUPLICATE_MAX_SIMS"] = _int("DUPLICATE_MAX_SIMS", 5)
    # Network enforcement (API.md): a seen_at older than this is refused (invalid_seen_at);
    # a warning's cut-off is never sooner than this after it was sent.
    g["OBSERVATION_MAX_AGE_SECONDS"] = _int("OBSERVATION_MAX_AGE_SECONDS", 604800)
    g["ENFORCEMENT_MIN_NOTICE_SECONDS"] = _int("ENFORCEMENT_MIN_NOTICE_SECONDS", 604800)
    # The expiry rail (docs/rails.md): a run finding more SIMs to detach detaches none.
    g["EXPIRY_RAIL_MAX_SIMS"] = _int("EXPIRY_RAIL_MAX_SIMS", 200000)
    g["SIM_ADDS_PER_DAY"] = _int("SIM_ADDS_PER_DAY", 5)

    # Ours, beyond API.md.
    # Public IMEI inquiry: requests per client address per window (DynamoDB counter
    # locally; a WAF rate-based rule does the same at the edge on AWS).
    g["IMEI_INQUIRY_MAX_PER_WINDOW"] = _int("IMEI_INQUIRY_MAX_PER_WINDOW", 60)
    g["IMEI_INQUIRY_WINDOW_SECONDS"] = _int("IMEI_INQUIRY_WINDOW_SECONDS", 60)
    # How long a sale's activation code stays good (API.md leaves it to us).
    g["TRANSFER_CODE_TTL_SECONDS"] = _int("TRANSFER_CODE_TTL_SECONDS", 7 * 24 * 3600)
    # Lock window for wrong previous numbers in recovery (API.md names only the count).
    g["RECOVERY_LOCK_SECONDS"] = _int("RECOVERY_LOCK_SECONDS", 3600)
    # The expiry job stops this long before the Lambda's own time limit and checkpoints.
    g["EXPIRY_TIME_BUDGET_SECONDS"] = _int("EXPIRY_TIME_BUDGET_SECONDS", 780)
    g["EXPIRY_WORKERS"] = _int("EXPIRY_WORKERS", 8)
    # First run only (no checkpoint yet): how many days back the job looks for expiries.
    g["EXPIRY_LOOKBACK_DAYS"] = _int("EXPIRY_LOOKBACK_DAYS", 31)
    # Fan-out (README "Past that, fan out"): "on" (set per AWS stage in .chalice/config.json)
    # makes expire_sims a coordinator that puts one message per slice with work on the
    # slices queue for the expire_slice workers. "off" (the default, the local run, the
    # tests): one run does all the work itself, as API.md "Scheduled job" says.
    g["EXPIRY_FANOUT"] = _str("EXPIRY_FANOUT", "off")
    g["EXPIRY_QUEUE"] = _str("HAMTA_EXPIRY_QUEUE", f"hamta-{g['STAGE']}-expiry-slices")
    g["EXPIRY_DLQ"] = _str("HAMTA_EXPIRY_DLQ", f"hamta-{g['STAGE']}-expiry-slices-dlq")
    # The enforcement job (enforce): its time budget, threads and first-run lookback as
    # the expiry job's; the safety rail, per operator (docs/rails.md): a run that would
    # block more than this percent of one operator's pairs it judged holds that operator's
    # blocks (only an operator with at least RAIL_MIN_PAIRS pairs judged: a share of a
    # handful means nothing).
    g["ENFORCEMENT_TIME_BUDGET_SECONDS"] = _int("ENFORCEMENT_TIME_BUDGET_SECONDS", 780)
    g["ENFORCEMENT_WORKERS"] = _int("ENFORCEMENT_WORKERS", 8)
    g["ENFORCEMENT_LOOKBACK_DAYS"] = _int("ENFORCEMENT_LOOKBACK_DAYS", 31)
    g["ENFORCEMENT_MAX_BLOCK_PERCENT"] = _int("ENFORCEMENT_MAX_BLOCK_PERCENT", 50)
    g["ENFORCEMENT_RAIL_MIN_PAIRS"] = _int("ENFORCEMENT_RAIL_MIN_PAIRS", 1000)
    # The bulk path: operators' daily dumps (gzip CSV) land in this bucket; the splitter
    # puts chunks of OBSERVATION_CHUNK_ROWS rows on the queue; failed chunks end in the DLQ.
    g["OBSERVATIONS_BUCKET"] = _str("HAMTA_OBSERVATIONS_BUCKET", f"hamta-{g['STAGE']}-observations")
    g["OBSERVATIONS_QUEUE"] = _str("HAMTA_OBSERVATIONS_QUEUE", f"hamta-{g['STAGE']}-observation-chunks")
    g["OBSERVATIONS_DLQ"] = _str("HAMTA_OBSERVATIONS_DLQ", f"hamta-{g['STAGE']}-observation-chunks-dlq")
    g["OBSERVATION_CHUNK_ROWS"] = _int("OBSERVATION_CHUNK_ROWS", 2000)

    # SMS circuit breaker: at most this many SMS service-wide per window; past it every
    # send answers 503 sms_unavailable (README "SMS spend"). 0 turns the breaker off.
    g["SMS_MAX_PER_WINDOW"] = _int("SMS_MAX_PER_WINDOW", 20000)
    g["SMS_WINDOW_SECONDS"] = _int("SMS_WINDOW_SECONDS", 3600)
    # The SMS gate (chalicelib/sms_gate.py, API.md "SMS"): notices' share of the window's
    # budget, and the caps per number, per operator key and per customs key (24 h).
    g["SMS_NOTICE_PERCENT"] = _int("SMS_NOTICE_PERCENT", 50)
    g["NOTICES_PER_NUMBER_PER_DAY"] = _int("NOTICES_PER_NUMBER_PER_DAY", 10)
    g["OPERATOR_WARNINGS_PER_DAY"] = _int("OPERATOR_WARNINGS_PER_DAY", 200000)
    g["CUSTOMS_SMS_PER_DAY"] = _int("CUSTOMS_SMS_PER_DAY", 5000)
    g["BLOCK_CHANGES_PER_DAY"] = _int("BLOCK_CHANGES_PER_DAY", 4)
    # Who delivers: "sns" (Amazon SNS) or "kavenegar" (an HTTP gateway of Iran's market,
    # chalicelib/sms_providers.py). Its key: the environment locally, SSM on AWS.
    g["SMS_PROVIDER"] = _str("SMS_PROVIDER", "sns")
    g["KAVENEGAR_URL"] = _str("KAVENEGAR_URL", "https://api.kavenegar.com/v1")
    g["KAVENEGAR_SENDER"] = _str("KAVENEGAR_SENDER", "")
    g["KAVENEGAR_API_KEY"] = os.environ.get("KAVENEGAR_API_KEY") or None
    g["KAVENEGAR_API_KEY_PARAMETER"] = os.environ.get("KAVENEGAR_API_KEY_PARAMETER") or None
    g["SMS_PROVIDER_TIMEOUT_SECONDS"] = _int("SMS_PROVIDER_TIMEOUT_SECONDS", 5)
    # Forgot-password SMS per national ID per 24 h (only sends count).
    g["FORGOT_MAX_PER_DAY"] = _int("FORGOT_MAX_PER_DAY", 5)
    # Every forgot-password answer takes at least this long (one timing class whatever the
    # outcome; above the slowest path, a send). bench/forgot_timing.py measures the paths.
    g["FORGOT_ANSWER_FLOOR_MS"] = _int("FORGOT_ANSWER_FLOOR_MS", 400)

    # Secrets: the environment locally; an SSM SecureString on AWS (see keys.py).
    g["SECRET_KEY"] = os.environ.get("HAMTA_SECRET_KEY") or None
    g["SECRET_KEY_PARAMETER"] = os.environ.get("HAMTA_SECRET_KEY_PARAMETER") or None


# Filled by reload(); declared for readers and type checkers.
STAGE: str
REGION: str
AWS_ENDPOINT: str | None
TABLE_PREFIX: str
OTP_TTL_SECONDS: int
OTP_RESEND_SECONDS: int
OTP_MAX_ATTEMPTS: int
OTP_MAX_SENDS_PER_DAY: int
CAPTCHA_TTL_SECONDS: int
CAPTCHA_MODE: str
LOGIN_MAX_FAILURES: int
LOGIN_LOCK_SECONDS: int
ACTIVATION_MAX_ATTEMPTS: int
ACTIVATION_LOCK_SECONDS: int
RECOVERY_MAX_ATTEMPTS: int
SESSION_TTL_SECONDS: int
TEMP_PASSWORD_TTL_SECONDS: int
TRAVELLER_WINDOW_DAYS: int
TRAVELLER_DEVICES_PER_YEAR: int
ENFORCEMENT_GRACE_SECONDS: int
DUPLICATE_MAX_SIMS: int
OBSERVATION_MAX_AGE_SECONDS: int
ENFORCEMENT_MIN_NOTICE_SECONDS: int
EXPIRY_RAIL_MAX_SIMS: int
IMEI_INQUIRY_MAX_PER_WINDOW: int
IMEI_INQUIRY_WINDOW_SECONDS: int
TRANSFER_CODE_TTL_SECONDS: int
RECOVERY_LOCK_SECONDS: int
EXPIRY_TIME_BUDGET_SECONDS: int
EXPIRY_WORKERS: int
EXPIRY_LOOKBACK_DAYS: int
EXPIRY_FANOUT: str
EXPIRY_QUEUE: str
EXPIRY_DLQ: str
ENFORCEMENT_TIME_BUDGET_SECONDS: int
ENFORCEMENT_WORKERS: int
ENFORCEMENT_LOOKBACK_DAYS: int
ENFORCEMENT_MAX_BLOCK_PERCENT: int
ENFORCEMENT_RAIL_MIN_PAIRS: int
OBSERVATIONS_BUCKET: str
OBSERVATIONS_QUEUE: str
OBSERVATIONS_DLQ: str
OBSERVATION_CHUNK_ROWS: int
SIM_ADDS_PER_DAY: int
SMS_MAX_PER_WINDOW: int
SMS_WINDOW_SECONDS: int
SMS_NOTICE_PERCENT: int
NOTICES_PER_NUMBER_PER_DAY: int
OPERATOR_WARNINGS_PER_DAY: int
CUSTOMS_SMS_PER_DAY: int
BLOCK_CHANGES_PER_DAY: int
SMS_PROVIDER: str
KAVENEGAR_URL: str
KAVENEGAR_SENDER: str
KAVENEGAR_API_KEY: str | None
KAVENEGAR_API_KEY_PARAMETER: str | None
SMS_PROVIDER_TIMEOUT_SECONDS: int
FORGOT_MAX_PER_DAY: int
FORGOT_ANSWER_FLOOR_MS: int
SECRET_KEY: str | None
SECRET_KEY_PARAMETER: str | None

reload()


def check_startup() -> None:
    """Refuse settings that must never reach production."""
    if CAPTCHA_MODE not in ("image", "off"):
        raise RuntimeError("CAPTCHA_MODE must be 'image' or 'off'")
    if CAPTCHA_MODE == "off" and STAGE == "prod":
        raise RuntimeError("CAPTCHA_MODE=off is refused on the prod stage")
    if SMS_PROVIDER not in ("sns", "kavenegar"):
        raise RuntimeError("SMS_PROVIDER must be 'sns' or 'kavenegar'")
    if SMS_PROVIDER == "kavenegar" and not (KAVENEGAR_API_KEY or KAVENEGAR_API_KEY_PARAMETER):
        raise RuntimeError("SMS_PROVIDER=kavenegar needs KAVENEGAR_API_KEY or KAVENEGAR_API_KEY_PARAMETER")
    if EXPIRY_FANOUT not in ("on", "off"):
        raise RuntimeError("EXPIRY_FANOUT must be 'on' or 'off'")
