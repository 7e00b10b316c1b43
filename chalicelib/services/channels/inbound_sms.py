"""SMS to 7777 (API.md "USSD *7777# and SMS to 7777"): an IMEI -> the inquiry's answer by SMS.

AWS two-way SMS publishes each message a person sends to our number on the SNS topic
`hamta-inbound-sms` as `{"originationNumber", "destinationNumber", "messageBody"}`; the
Lambda `inbound_sms` (app.py) hands the message here. Every answer is an SMS we pay for and
that lands on a phone, so answers are counted per sender before anything is looked up: at
most ANSWERS_PER_DAY a day, whatever was asked (the help text included). What cannot be
answered (not JSON, no Iranian sender) is logged and dropped: retrying it would not help.
"""
from __future__ import annotations

import json
import re

from aws_lambda_powertools import Logger

from chalicelib import log, sms, sms_gate
from chalicelib.errors import HamtaError
from chalicelib.identifiers import mask_msisdn, normalize_digits, parse_imei, parse_msisdn
from chalicelib.services.registry import inquiry

logger = Logger(service=log.SERVICE, child=True)

ANSWERS_PER_DAY = sms_gate.ANSWERS_PER_DAY
MAX_BODY = 1600  # ten concatenated SMS; longer is not a person's message


def handle(message: str) -> str | None:
    """Answer one inbound SMS; returns the text sent, or None when nothing was sent.

    sms_gate.Unavailable propagates, so the Lambda's retries of the SNS delivery try again.
    """
    sender, body = _parse(message)
    if sender is None:
        return None
    # The gate counts the answer on its own cap (ANSWERS_PER_DAY to one sender) before the
    # reply is looked up.
    reply = sms_gate.send_answer(sender, lambda: reply_to(body))
    if reply is None:
        logger.info("inbound sms: answer held back", extra={"from": mask_msisdn(sender)})
        return None
    logger.info("inbound sms answered", extra={"from": mask_msisdn(sender)})
    return reply


def reply_to(body: str) -> str:
    """The answer's text: the inquiry for an IMEI, otherwise help."""
    try:
        imei = parse_imei(body)
    except HamtaError:
        # Only digits, but no valid IMEI: say so rather than repeat the help.
        if re.fullmatch(r"[0-9]{5,30}", normalize_digits(body)):
            return sms.inbound_invalid_imei_text()
        return sms.inbound_help_text()
    return sms.inquiry_text(inquiry.lookup(imei))


def _parse(message: str) -> tuple[str | None, str]:
    """(sender as 09XXXXXXXXX, message body) of the SNS message; (None, "") if unusable."""
    try:
        data = json.loads(message)
    except (TypeError, ValueError):
        data = None
    if not isinstance(data, dict):
        logger.warning("inbound sms: not a two-way SMS message")
        return None, ""
    try:
        sender = parse_msisdn(data.get("originationNumber"))
    except HamtaError:
        logger.warning("inbound sms: sender is no Iranian mobile number")
        return None, ""
    body = data.get("messageBody")
    if not isinstance(body, str) or len(body) > MAX_BODY:
        body = ""
    return sender, body
