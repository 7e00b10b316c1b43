"""The senders behind the SMS gate: Amazon SNS, and Kavenegar's REST API (Iran's market).

Only chalicelib/sms_gate.py calls a provider (tests/test_sms_gate.py checks it): every
other module sends through the gate. A provider's `send(msisdn, text)` returns when the
provider took the message, or raises NotSent with a short cause for the metrics: "refused"
kinds (the provider answered no) and "unreachable" kinds (no answer: a timeout, a dropped
connection). A refused send is not a sent SMS.
"""
from __future__ import annotations

import http.client
import json
import secrets
import socket
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import keys, log, settings
from chalicelib.identifiers import mask_msisdn, to_e164

logger = Logger(service=log.SERVICE, child=True)


class NotSent(Exception):
    """The provider did not take the message; `cause` names why (a metric dimension)."""

    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


# ---- Amazon SNS -------------------------------------------------------------------------

# Keyed by (region, endpoint): scripts and tests re-point the service at another emulator.
_sns_clients: dict[tuple[str, str | None], Any] = {}


def sns_client() -> Any:
    """One SNS client per container, made on first use (a cold start that sends no SMS
    pays nothing)."""
    key = (settings.REGION, settings.AWS_ENDPOINT)
    client = _sns_clients.get(key)
    if client is None:
        import boto3

        client = _sns_clients[key] = boto3.client(
            "sns", region_name=settings.REGION, endpoint_url=settings.AWS_ENDPOINT
        )
    return client


class Sns:
    name = "sns"

    def prepare(self) -> None:
        sns_client()  # botocore builds clients unsafely across threads: build it first

    def send(self, msisdn: str, text: str) -> None:
        try:
            sns_client().publish(
                PhoneNumber=to_e164(msisdn),
                Message=text,
                MessageAttributes={
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                },
            )
        except ClientError as error:  # SNS answered no (throttled, spend limit, opted out)
            raise NotSent("refused") from error
        except BotoCoreError as error:  # no answer after botocore's own retries
            raise NotSent("unreachable") from error


# ---- Kavenegar ----------------------------------------------------------------------------
# Kavenegar's REST API, as its documentation publishes it (https://kavenegar.com/rest.html,
# "sms/send" and the table of answers; the official clients, e.g.
# https://github.com/kavenegar/kavenegar-python, call the same):
#   POST https://api.kavenegar.com/v1/{API-KEY}/sms/send.json
#   form fields: receptor (the number), message, sender (the line; empty: the account's
#   default line), localid (ours: a message already sent under this localid is not sent
#   again, so the one retry after a timeout cannot send it twice).
#   Answer: JSON {"return": {"status": <code>, "message": "..."}, "entries": [...]};
#   status 200 is "taken", anything else is the HTTP status too and names the refusal.
KAVENEGAR_OK = 200
# Kavenegar's refusal codes (rest.html, "نتایج و خطاها") -> the gate's cause.
KAVENEGAR_CAUSES = {
    400: "bad_request",  # parameters incomplete
    401: "account_disabled",
    402: "refused",  # the operation failed
    403: "bad_key",  # the API key is not valid
    404: "bad_request",  # no such method
    405: "bad_request",  # wrong HTTP method
    406: "bad_request",  # a required parameter is empty
    407: "bad_key",  # no access to this information
    409: "provider_busy",  # the server cannot answer now: try later
    411: "bad_number",  # the receptor is not valid
    412: "bad_sender",  # the sender line is not valid
    413: "bad_text",  # the message is empty or too long
    414: "bad_request",  # too many receptors
    416: "bad_key",  # the calling IP does not match the account's
    417: "bad_request",  # the date is not valid
    418: "no_credit",  # the account's credit is not enough
    422: "bad_text",  # characters that cannot be processed
    426: "bad_key",  # the method needs the advanced service
    428: "bad_request",
    429: "bad_key",  # IP not allowed
    451: "provider_busy",  # too many calls
    501: "bad_number",  # a test account sends only to its owner's number
}
RETRIES_AFTER_NO_ANSWER = 1  # a timeout or a dropped connection is tried once more, at most


def kavenegar_key() -> str:
    if settings.KAVENEGAR_API_KEY:
        return settings.KAVENEGAR_API_KEY
    if settings.KAVENEGAR_API_KEY_PARAMETER:
        return keys.ssm_secret(settings.KAVENEGAR_API_KEY_PARAMETER)
    raise RuntimeError("no Kavenegar key: set KAVENEGAR_API_KEY or KAVENEGAR_API_KEY_PARAMETER")


class Kavenegar:
    name = "kavenegar"

    def prepare(self) -> None:
        kavenegar_key()  # the SSM read once, before any thread needs it

    def send(self, msisdn: str, text: str) -> None:
        url = f"{settings.KAVENEGAR_URL.rstrip('/')}/{urllib.parse.quote(kavenegar_key(), safe='')}/sms/send.json"
        form = {"receptor": msisdn, "message": text, "localid": secrets.token_hex(8)}
        if settings.KAVENEGAR_SENDER:
            form["sender"] = settings.KAVENEGAR_SENDER
        body = urllib.parse.urlencode(form).encode()
        for tries in range(1 + RETRIES_AFTER_NO_ANSWER):
            try:
                status = self._post(url, body)
            except NotSent as error:
                if error.cause in ("timeout", "dropped") and tries < RETRIES_AFTER_NO_ANSWER:
                    continue
                raise
            if status == KAVENEGAR_OK:
                return
            logger.warning("kavenegar refused", extra={"to": mask_msisdn(msisdn), "status": status})
            raise NotSent(KAVENEGAR_CAUSES.get(status, "refused"))

    @staticmethod
    def _post(url: str, body: bytes) -> int:
        """Kavenegar's return.status for one POST; NotSent("timeout" | "dropped" |
        "bad_answer") when no readable answer came."""
        request = urllib.request.Request(
            url, data=body, method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        )
        timeout = max(1, settings.SMS_PROVIDER_TIMEOUT_SECONDS)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 (our own URL)
                raw = answer.read()
        except urllib.error.HTTPError as error:  # Kavenegar answers a refusal with its code as HTTP status
            try:
                raw = error.read()
            except (OSError, http.client.HTTPException):
                raise NotSent("dropped") from None
        except (socket.timeout, TimeoutError):
            raise NotSent("timeout") from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, (socket.timeout, TimeoutError)):
                raise NotSent("timeout") from None
            raise NotSent("dropped") from None
        except (OSError, http.client.HTTPException):  # reset, closed without an answer
            raise NotSent("dropped") from None
        try:
            return int(json.loads(raw.decode("utf-8"))["return"]["status"])
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise NotSent("bad_answer") from None


def current() -> Sns | Kavenegar:
    """The provider SMS_PROVIDER names."""
    return Kavenegar() if settings.SMS_PROVIDER == "kavenegar" else Sns()
