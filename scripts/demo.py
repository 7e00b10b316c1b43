"""Demo data for `scripts/local.py --demo`: a few SIMs, devices and activation codes to try.

Loaded through the same services the operator and registrar routes use, so it is real data
in the emulated tables. Loading twice (an emulator that outlives the run) changes nothing.
"""
from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Callable

from chalicelib import clock
from chalicelib.errors import HamtaError
from chalicelib.services.registry import models_table, registrar
from chalicelib.services.sims import sim_records
from chalicelib.store.devices import find_device

YEAR = 365 * 24 * 3600
RECOVERY_MINUTES = 20  # the expiring SIM's life: time to sign in (captcha included) and activate


def national_id(first9: str) -> str:
    total = sum(int(first9[i]) * (10 - i) for i in range(9)) % 11
    return first9 + str(total if total < 2 else 11 - total)


def imei(first14: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(first14)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return first14 + str((10 - total % 10) % 10)


# (msisdn, holder's national ID, seconds until it expires)
SIMS = [
    ("09121110001", national_id("001234567"), YEAR),
    ("09121110002", national_id("001234567"), YEAR),
    ("09351110003", national_id("002345678"), YEAR),
    # Expires RECOVERY_MINUTES after start (or at once, by the command the demo prints):
    # its device then awaits recovery from the same holder's second number.
    ("09901110004", national_id("003456789"), RECOVERY_MINUTES * 60),
    # The same person's second number: sign in with it to recover a device from the first.
    ("09901110005", national_id("003456789"), YEAR),
]
# (imei, imei2, brand, model, source)
DEVICES = [
    (imei("35100000000001"), imei("35100000000002"), "Samsung", "Galaxy A54", "import"),
    (imei("35200000000003"), None, "Xiaomi", "Redmi Note 13", "import"),
    (imei("35300000000004"), None, "Apple", "iPhone 13", "passenger"),
]

# The model table (TAC, brand, model, SIM slots): the demo devices' TACs and a few more
# real-looking ones, so registrations may leave out brand and model and the inquiry names
# unregistered IMEIs of these TACs.
MODELS = [
    ("35100000", "Samsung", "Galaxy A54", 2),
    ("35200000", "Xiaomi", "Redmi Note 13", 1),
    ("35300000", "Apple", "iPhone 13", 1),
    ("35332811", "Samsung", "Galaxy A15", 2),
    ("35467912", "Apple", "iPhone 15", 1),
    ("86769705", "Xiaomi", "Redmi 13", 2),
    ("35674109", "Nokia", "105", 1),
]


def load() -> tuple[list[tuple[str, str, float]], list[tuple[str, str | None, str, str, str]]]:
    now = clock.now()
    for tac, brand, model, slots in MODELS:
        models_table.put_model(tac, brand, model, slots)
    sims = []
    for msisdn, nid, lifetime in SIMS:
        sim = sim_records.get_sim(msisdn)
        if sim is None or sim.national_id != nid:
            sim = sim_records.operator_update(msisdn, nid, sim_records.ACTIVE, now + lifetime)
        sims.append((msisdn, nid, float(sim.expires_at or 0)))
    devices = []
    for main, second, brand, model, source in DEVICES:
        try:
            code = registrar.register_device(main, second, brand, model, source)
        except HamtaError:  # already there from an earlier run
            code = find_device(main).activation_code
        devices.append((main, second, brand, model, code))
    return sims, devices


def load_and_print(say: Callable[[str], None], base_url: str, operator_key: str,
                   registrar_key: str) -> None:
    sims, devices = load()
    say("demo SIMs (msisdn, holder's national ID, expires):")
    for msisdn, nid, expires_at in sims:
        when = datetime.fromtimestamp(expires_at, tz=timezone.utc).isoformat(timespec="seconds")
        say(f"  {msisdn}  {nid}  {when}")
    say("demo devices (IMEIs, brand, model, activation code):")
    for main, second, brand, model, code in devices:
        imeis = f"{main}/{second}" if second else main
        say(f"  {imeis}  {brand} {model}  {code}")
    say_flows(say, base_url, operator_key, registrar_key, sims, devices)


def say_flows(say: Callable[[str], None], base_url: str, operator_key: str, registrar_key: str,
              sims: list, devices: list) -> None:
    """One curl line (or a few) for every flow of API.md, on the demo data."""
    (msisdn, nid, _), (second_msisdn, _, _) = sims[0], sims[1]
    (expiring, expiring_nid, _), (after, _, _) = sims[3], sims[4]
    (main, _, _, _, code), (other, _, _, _, other_code) = devices[0], devices[1]
    third, third_code = devices[2][0], devices[2][4]
    j = "-H 'Content-Type: application/json'"
    auth = "-H 'Authorization: Bearer <token>'"
    nid_auth = "-H 'Authorization: Bearer <nid-token>'"
    password = "my-Strong-pass-1"
    say("try it (CAPTCHA_MODE=off makes any captcha answer pass; SMS are printed below as "
        "'SMS to +98...'):")
    say("  # SIM login (ورود با رمز عبور موقت)")
    say(f"  curl -s -X POST {base_url}/captcha")
    say(f"  curl -s -X POST {base_url}/auth/otp {j} -d "
        f"'{{\"msisdn\": \"{msisdn}\", \"captcha_id\": \"<id>\", \"captcha_answer\": \"<answer>\"}}'")
    say(f"  curl -s -X POST {base_url}/auth/otp/verify {j} -d "
        f"'{{\"msisdn\": \"{msisdn}\", \"code\": \"<code>\"}}'")
    say("  # devices: activate, list, sale (the buyer activates with the new code), history")
    say(f"  curl -s -X POST {base_url}/devices/activate {j} {auth} "
        f"-d '{{\"imei\": \"{main}\", \"activation_code\": \"{code}\"}}'")
    say(f"  curl -s {base_url}/devices {auth}")
    say(f"  curl -s -X POST {base_url}/devices/{main}/transfer {j} {auth} -d '{{\"password\": \"{password}\"}}'"
        "   # sale (once the SIM is in a national-ID cartable, below): a new code for the buyer")
    say(f"  curl -s -X DELETE {base_url}/devices/{main}/transfer {auth}  # withdraw the sale")
    say(f"  curl -s {base_url}/devices/{main}/history {auth}")
    say(f"  curl -s {base_url}/imei/{main}")
    say("  # national-ID cartable: register (from the SIM session), log in, SIMs, sessions")
    say(f"  curl -s -X POST {base_url}/auth/register {j} {auth} -d "
        f"'{{\"national_id\": \"{nid}\", \"birth_date\": \"1370/05/12\", \"password\": \"{password}\"}}'")
    say(f"  curl -s -X POST {base_url}/auth/login {j} -d "
        f"'{{\"national_id\": \"{nid}\", \"password\": \"{password}\", \"captcha_id\": \"<id>\", "
        f"\"captcha_answer\": \"<answer>\"}}'")
    say(f"  curl -s {base_url}/sims {nid_auth}")
    say(f"  curl -s -X POST {base_url}/sims {j} {nid_auth} -d '{{\"msisdn\": \"{second_msisdn}\"}}'")
    say(f"  curl -s -X POST {base_url}/sims/verify {j} {nid_auth} -d "
        f"'{{\"msisdn\": \"{second_msisdn}\", \"code\": \"<code>\"}}'")
    say(f"  curl -s -X DELETE {base_url}/sims/{second_msisdn} {nid_auth}")
    say(f"  curl -s -X PUT {base_url}/me/password {j} {nid_auth} -d "
        f"'{{\"old_password\": \"{password}\", \"new_password\": \"another-Pass-2\"}}'")
    say(f"  curl -s -X DELETE {base_url}/me/sessions {nid_auth}   # end every session")
    say("  # forgot password: a temporary password by SMS, good only to choose a new one")
    say(f"  curl -s -X POST {base_url}/auth/password/forgot {j} -d "
        f"'{{\"national_id\": \"{nid}\", \"msisdn\": \"{msisdn}\", \"birth_date\": \"1370/05/12\", "
        f"\"channel\": \"sms\"}}'")
    say(f"  # recovery: {expiring} expires {RECOVERY_MINUTES} minutes after start. Sign in with it "
        f"and activate {other} (code {other_code});")
    say("  # then expire it now (the operator's feed) rather than wait:")
    say(f"  curl -s -X PUT {base_url}/operator/sims/{expiring} {j} "
        f"-H 'Authorization: Bearer {operator_key}' "
        f"-d '{{\"national_id\": \"{expiring_nid}\", \"status\": \"expired\"}}'")
    say(f"  # and sign in with {after} (the same holder, {expiring_nid}): «افزودن دستگاه», or")
    say(f"  curl -s -X POST {base_url}/devices {j} {auth} -d "
        f"'{{\"imei\": \"{other}\", \"previous_msisdn\": \"{expiring}\"}}'")
    say_channels(say, base_url, operator_key, msisdn, main, third, third_code)
    say("  # partners: the operator's SIM feed and a registrar's new device")
    say(f"  curl -s -X PUT {base_url}/operator/sims/09121110009 {j} "
        f"-H 'Authorization: Bearer {operator_key}' "
        f"-d '{{\"national_id\": \"{nid}\", \"status\": \"active\"}}'")
    say(f"  curl -s -X POST {base_url}/registrar/devices {j} "
        f"-H 'Authorization: Bearer {registrar_key}' "
        f"-d '{{\"imei\": \"{imei('35400000000005')}\", \"source\": \"import\"}}'")
    say(f"  # also on the demo data: {third} (code {third_code})")


def say_channels(say: Callable[[str], None], base_url: str, operator_key: str, msisdn: str,
                 registered: str, unactivated: str, code: str) -> None:
    """The phone's own channels: USSD *7777# as the operator's gateway calls it, and an SMS
    to 7777 as AWS two-way SMS hands it over (the answer is printed as 'SMS to +98...')."""
    j = "-H 'Content-Type: application/json'"
    gateway = f"-H 'Authorization: Bearer {operator_key}'"
    say("  # USSD *7777# (the operator's gateway; `text` is all that was typed since dialling):")
    for text, what in (("", "the menu"), (f"1*{registered}", "1: inquiry"),
                       (f"2*{unactivated}*{code}", "2: activation onto the dialling SIM"),
                       ("3", "3: the dialling SIM's devices, numbered")):
        say(f"  curl -s -X POST {base_url}/ussd {j} {gateway} -d "
            f"'{{\"session_id\": \"demo-1\", \"msisdn\": \"{msisdn}\", \"text\": \"{text}\"}}'   # {what}")
    aws = os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    message = (f'{{\\"originationNumber\\": \\"+98{msisdn[1:]}\\", \\"destinationNumber\\": \\"+987777\\", '
               f'\\"messageBody\\": \\"{registered}\\"}}')
    say("  # an SMS to 7777 holding an IMEI (published on the topic hamta-inbound-sms):")
    say(f"  .venv/bin/python -c \"import boto3; sns = boto3.client('sns', endpoint_url='{aws}', "
        "region_name='us-east-1', aws_access_key_id='x', aws_secret_access_key='x'); "
        "sns.publish(TopicArn=sns.create_topic(Name='hamta-inbound-sms')['TopicArn'], "
        f"Message='{message}')\"")
