"""Session tokens name their cartable sealed (issue 16): the session and the SIM or person
it is bound to are read in one call, and the rules that end a session still hold."""
from __future__ import annotations

import base64

from testkit.calls import count_calls
from tests.flows import new_nid_cartable, new_sim_cartable, register_cartable


def _flip_route(token: str, other_digit: bytes) -> str:
    """The same token with the last digit of its sealed route changed."""
    nonce, _, sealed = token.partition(".")
    data = bytearray(base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4)))
    data[-1] ^= other_digit[0] ^ ord("0")
    return nonce + "." + base64.urlsafe_b64encode(bytes(data)).rstrip(b"=").decode()


def test_a_token_does_not_show_the_number_or_national_id_it_opens(api):
    msisdn, nid, sim_token = new_sim_cartable(api)
    register_cartable(api, sim_token, nid)
    _, _, nid_token = new_nid_cartable(api)
    for token in (sim_token, nid_token):
        assert msisdn not in token and msisdn[1:] not in token and nid not in token
        assert "." in token and len(token) <= 200


def test_a_token_whose_route_was_altered_opens_nothing(api):
    msisdn, _, token = new_sim_cartable(api)
    assert api.get("/me", token=token)[0] == 200
    for altered in (_flip_route(token, b"1"), _flip_route(token, b"7"), token + "AA",
                    token.partition(".")[0] + ".%%%", token.partition(".")[0] + "."):
        status, data, _ = api.get("/me", token=altered)
        assert (status, data["error"]["code"]) == (401, "unauthorized"), altered


def test_a_token_without_a_route_is_still_read_from_its_session(api, aws):
    """A session stored before routes came (its token is the bare nonce) still opens."""
    from chalicelib import clock, settings
    from chalicelib.keys import token_hash
    from chalicelib.store.challenges import SessionItem
    from chalicelib.store.sims import SimModel

    msisdn, _, _ = new_sim_cartable(api)
    sim = SimModel.get(msisdn)
    old = "old-style-token-" + "x" * 27
    now = clock.now()
    SessionItem(pk="session#" + token_hash(old), kind="sim", msisdn=msisdn,
                ownership=int(sim.ownership), epoch=int(sim.session_epoch or 0),
                created_at=now, expires_at=now + settings.SESSION_TTL_SECONDS).save()
    status, data, _ = api.get("/me", token=old)
    assert status == 200 and data["cartable"]["msisdn"] == msisdn


def test_the_device_list_is_the_session_read_and_one_query(api):
    _, _, token = new_sim_cartable(api)
    with count_calls() as counts:
        assert api.get("/devices", token=token)[0] == 200
    assert counts.ops == ["dynamodb:BatchGetItem", "dynamodb:Query"]
