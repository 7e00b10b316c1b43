"""SMS to 7777 (API.md "USSD *7777# and SMS to 7777"): the Lambda `inbound_sms` on the topic
`hamta-inbound-sms`, driven through chalice's test client as SNS would invoke it."""
from __future__ import annotations

import json

import pytest

from chalicelib import clock
from chalicelib.identifiers import to_e164
from chalicelib.store.devices import find_device
from testkit import ids
from tests.flows import break_sns, messages_to

PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def text_7777(client, sender, body, raw=None):
    """A person's SMS to 7777 as AWS two-way SMS publishes it on the topic."""
    message = raw if raw is not None else json.dumps(
        {"originationNumber": sender, "destinationNumber": "+987777", "messageBody": body},
        ensure_ascii=False,
    )
    client.lambda_.invoke("inbound_sms", client.events.generate_sns_event(message=message))


def test_the_handler_listens_on_the_topic(app):
    (source,) = [s for s in app.event_sources if s.name == "inbound_sms"]
    assert source.topic == "hamta-inbound-sms"


def test_an_imei_in_persian_digits_gets_the_inquiry_by_sms(api, client):
    msisdn, imei = ids.msisdn(), ids.imei()
    api.register_device(imei, brand="Apple", model="iPhone X", source="passenger")
    text_7777(client, to_e164(msisdn), " " + imei.translate(PERSIAN) + "\n")
    (answer,) = messages_to(msisdn)
    assert imei in answer and "ثبت شده" in answer and "iPhone X" in answer


def test_a_second_imei_an_unregistered_and_a_blocked_one(api, client):
    msisdn, main, second, blocked = ids.msisdn(), ids.imei(), ids.imei(), ids.imei()
    api.register_device(main, imei2=second, brand="Samsung", model="Galaxy S24")
    api.register_device(blocked)
    device = find_device(blocked)
    device.state = "blocked"  # as a lost/stolen block leaves it
    device.save()
    unknown = ids.imei()
    text_7777(client, msisdn, second.translate(ARABIC))
    text_7777(client, msisdn, f"{unknown[:5]}-{unknown[5:10]} {unknown[10:]}")
    text_7777(client, "+98" + msisdn[1:], blocked)
    registered, unregistered, barred = messages_to(msisdn)
    assert second in registered and "ثبت شده" in registered and "Galaxy S24" in registered
    assert unknown in unregistered and "ثبت نشده" in unregistered
    assert blocked in barred and "مسدود" in barred


@pytest.mark.parametrize("body", ["سلام", "IMEI?", "", "*#06#"])
def test_anything_else_gets_the_help_text(api, client, body):
    msisdn = ids.msisdn()
    text_7777(client, msisdn, body)
    (help_text,) = messages_to(msisdn)
    assert "IMEI" in help_text and "استعلام اصالت" in help_text


def test_digits_that_are_no_imei_are_told_so(api, client):
    msisdn, imei = ids.msisdn(), ids.imei()
    text_7777(client, msisdn, imei[:-1] + str((int(imei[-1]) + 1) % 10))
    (reply,) = messages_to(msisdn)
    assert "معتبر نیست" in reply


def test_at_most_twenty_answers_per_sender_a_day(api, client):
    busy, other = ids.msisdn(), ids.msisdn()
    for _ in range(25):
        text_7777(client, busy, ids.imei())
    assert len(messages_to(busy)) == 20
    text_7777(client, other, "help")  # another sender is not affected
    assert len(messages_to(other)) == 1
    clock.advance(24 * 3600 + 1)
    text_7777(client, busy, "help")
    assert len(messages_to(busy)) == 21


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[]",
        json.dumps({"originationNumber": "+14155550100", "messageBody": "help"}),
        json.dumps({"destinationNumber": "+987777", "messageBody": "help"}),
        json.dumps({"originationNumber": 989121234567, "messageBody": "help"}),
    ],
)
def test_a_message_with_no_iranian_sender_is_dropped(api, client, raw):
    before = len(messages_to("09121234567"))
    text_7777(client, None, None, raw=raw)  # no exception: nothing for SNS to retry
    assert len(messages_to("09121234567")) == before


def test_a_body_that_is_no_text_gets_the_help(api, client):
    msisdn = ids.msisdn()
    raw = json.dumps({"originationNumber": to_e164(msisdn), "messageBody": {"x": 1}})
    text_7777(client, None, None, raw=raw)
    (reply,) = messages_to(msisdn)
    assert "IMEI" in reply


def test_sns_refusing_the_answer_fails_the_invocation_so_it_is_retried(api, client, monkeypatch):
    from chalicelib.sms_gate import Unavailable

    msisdn = ids.msisdn()
    tried = break_sns(monkeypatch)
    with pytest.raises(Unavailable):
        text_7777(client, msisdn, ids.imei())
    assert tried == [to_e164(msisdn)]


def test_the_topic_is_in_the_template_before_the_function_subscribes():
    from tests.deployment import TEMPLATE

    resources = TEMPLATE["Resources"]
    assert resources["InboundSmsTopic"]["Properties"]["TopicName"] == "hamta-inbound-sms"
    # chalice subscribes the Lambda by the topic's name: the topic must exist first.
    assert "InboundSmsTopic" in resources["InboundSms"]["DependsOn"]
    (grant,) = resources["InboundSmsTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert grant["Principal"] == {"Service": "sms-voice.amazonaws.com"}  # AWS two-way SMS
    assert grant["Action"] == "sns:Publish"
