"""The SNS sender and the Persian text of every SMS the service sends.

One SNS client per container, made on first use (a cold start that sends no SMS pays
nothing). Each message carries its secret as one ASCII word, so any phone shows it and
a person can type it as is.
"""
from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import settings
from chalicelib.identifiers import mask_msisdn, to_e164

logger = Logger(service="hamta")

# Keyed by (region, endpoint): scripts and tests re-point the service at another emulator.
_clients: dict[tuple[str, str | None], Any] = {}


class SmsUnavailable(Exception):
    """The SMS provider did not accept the message."""


def sns_client() -> Any:
    key = (settings.REGION, settings.AWS_ENDPOINT)
    client = _clients.get(key)
    if client is None:
        import boto3

        client = _clients[key] = boto3.client(
            "sns", region_name=settings.REGION, endpoint_url=settings.AWS_ENDPOINT
        )
    return client


def otp_text(code: str) -> str:
    return f"سامانه همتا\nرمز عبور موقت شما: {code}\nاین رمز را در اختیار دیگران قرار ندهید."


def add_sim_text(code: str) -> str:
    return (
        f"سامانه همتا\nرمز عبور موقت افزودن این سیم کارت به کارتابل کد ملی: {code}\n"
        "اگر شما درخواست نکرده‌اید، آن را به کسی ندهید."
    )


def temp_password_text(password: str) -> str:
    return (
        f"سامانه همتا\nرمز عبور موقت کارتابل کد ملی: {password}\n"
        "پس از ورود با این رمز، رمز عبور جدید تعیین کنید."
    )


def send_sms(msisdn: str, text: str) -> None:
    """Publish one transactional SMS to `msisdn` (09XXXXXXXXX); SmsUnavailable on failure."""
    try:
        sns_client().publish(
            PhoneNumber=to_e164(msisdn),
            Message=text,
            MessageAttributes={
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
            },
        )
    except (BotoCoreError, ClientError) as error:
        logger.warning(
            "sms not sent", extra={"to": mask_msisdn(msisdn), "error": type(error).__name__}
        )
        raise SmsUnavailable() from error
