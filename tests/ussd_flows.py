"""The operator's USSD gateway as the tests speak it: one request, a conversation typed step
by step, and the codes a reply holds."""
from __future__ import annotations

import itertools
import re

from tests.conftest import OPERATOR_KEY

_sessions = itertools.count(1)


def ussd(api, msisdn, text, session_id=None, token=OPERATOR_KEY):
    """One gateway request; every reply is Persian and fits a USSD page."""
    body = {"session_id": session_id or f"s{next(_sessions)}", "msisdn": msisdn, "text": text}
    status, data, headers = api.post("/ussd", body, token=token)
    if status == 200:
        assert set(data) == {"reply", "end"} and isinstance(data["end"], bool)
        assert 0 < len(data["reply"]) <= 160, data["reply"]
        assert re.search("[\u0600-\u06ff]", data["reply"]), data["reply"]
    return status, data


def conversation(api, msisdn, *texts):
    """Typed step by step in one session: the replies, in order."""
    session = f"conv{next(_sessions)}"
    replies = []
    for text in texts:
        status, data = ussd(api, msisdn, text, session)
        assert status == 200, data
        replies.append(data)
    return replies


def codes_in(text):
    return re.findall(r"\b\d{6}\b", text)
