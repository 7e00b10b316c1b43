"""The one-command local run (API.md "Local run"): emulated AWS, tables, partner keys, the API.

    python scripts/local.py [--port P] [--aws-port Q] [--cleanup-interval S]
        [--enforce-interval S] [--operator-key K] [--registrar-key K] [--customs-key K]
        [--aws-endpoint URL] [--demo]

Starts moto server on Q (or uses the emulator at --aws-endpoint), creates every table,
provisions one operator, one registrar and one customs key, serves the Chalice app with chalice's own
local server on P (stage `local`), prints every SMS the emulated SNS accepts, runs the
expire_sims job every S seconds (enforce every --enforce-interval seconds), hands dumps
dropped in the observations bucket to the bulk path's Lambdas (scripts/local_bulk.py)
and, with EXPIRY_FANOUT=on, the expiry job's slices to `expire_slice`, and prints `ready` once the API answers. Ctrl-C stops it.
What is published on the topic `hamta-inbound-sms` reaches the `inbound_sms` handler.
Settings (API.md "Settings") set in the caller's environment win over the stage's.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import signal
import sys
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000, help="API port [8000]")
    parser.add_argument("--aws-port", type=int, default=5000, help="moto server port [5000]")
    parser.add_argument("--aws-endpoint", help="use this emulator (moto server, LocalStack)")
    parser.add_argument(
        "--cleanup-interval", type=float, default=0, help="run expire_sims every S seconds (0: never)"
    )
    parser.add_argument(
        "--enforce-interval", type=float, default=0, help="run enforce every S seconds (0: never)"
    )
    parser.add_argument("--operator-key", help="the operator's partner key [random]")
    parser.add_argument("--registrar-key", help="the registrar's partner key [random]")
    parser.add_argument("--customs-key", help="the customs office's partner key [random]")
    parser.add_argument("--demo", action="store_true", help="load demo SIMs and devices")
    return parser.parse_args(argv)


def prepare_environment(endpoint: str) -> None:
    """The caller's environment wins; then the `local` stage's variables; then local defaults."""
    with open(os.path.join(ROOT, ".chalice", "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    stage_vars = {
        **config.get("environment_variables", {}),
        **config.get("stages", {}).get("local", {}).get("environment_variables", {}),
    }
    defaults = {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "HAMTA_STAGE": "local",
        # A fresh secret per run: nothing local ever needs an old code to verify.
        "HAMTA_SECRET_KEY": secrets.token_hex(32),
        **stage_vars,
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    os.environ.pop("HAMTA_SECRET_KEY_PARAMETER", None)  # never SSM locally


def create_tables() -> None:
    from chalicelib import settings
    from chalicelib.store import tables

    settings.reload()
    tables.configure()
    tables.create_tables()
    from chalicelib import bulk

    bulk.create_local_resources()  # the dump bucket and the chunk queues (bulk path)


class SmsPrinter(threading.Thread):
    """Prints each SMS the emulated SNS accepted.

    The moto server this process started is read in place (its SNS backend, only the new
    messages). Another emulator (--aws-endpoint) is read through moto's
    /moto-api/data.json, which serialises every model moto tracks and grows with every
    call made: one dump at a time, never abandoned half way (a dump given up after 5 s used
    to keep running in the emulator while the next one started, until dumps filled its
    CPU and the API's requests stalled), and the next one only after four times as long as
    the last took, so the printer takes at most a fifth of the emulator's time."""

    def __init__(self, endpoint: str, stop: threading.Event, in_process: bool = False) -> None:
        super().__init__(daemon=True, name="sms-printer")
        self.url = endpoint.rstrip("/") + "/moto-api/data.json"
        self.stop = stop
        self.in_process = in_process
        self.seen: set[str] = set()

    def messages(self) -> list[tuple[str, str, str]]:
        """(message id, number, text) of every SMS so far."""
        if self.in_process:
            from moto.sns.models import sns_backends

            region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
            return [
                (message_id, number, text)
                for account in list(sns_backends.keys())
                for message_id, (number, text) in list(sns_backends[account][region].sms_messages.items())
            ]
        with urllib.request.urlopen(self.url, timeout=300) as response:
            data = json.load(response)
        return [(sms.get("message_id"), sms.get("phone_number"), sms.get("message"))
                for sms in data.get("sns", {}).get("SMS", [])]

    def poll(self) -> None:
        for message_id, number, text in self.messages():
            if message_id in self.seen:
                continue
            self.seen.add(message_id)
            say(f"SMS to {number}: {text}")

    def run(self) -> None:
        pause = 0.5
        while not self.stop.wait(pause):
            started = time.monotonic()
            try:
                self.poll()
            except (OSError, ValueError):
                pass  # the emulator has no moto-api (LocalStack) or is stopping
            pause = max(0.5, 4 * (time.monotonic() - started))


class CleanupJob(threading.Thread):
    """Runs the same handler as the hourly schedule, every `interval` seconds."""

    def __init__(self, interval: float, stop: threading.Event) -> None:
        super().__init__(daemon=True, name="expire-sims")
        self.interval = interval
        self.stop = stop

    def run(self) -> None:
        from chalicelib.services.sims import expiry

        while not self.stop.wait(self.interval):
            try:
                report = expiry.run()
                say(f"expire_sims: {json.dumps(report, ensure_ascii=False)}")
            except Exception as error:  # a failed run must not stop the server
                say(f"expire_sims failed: {type(error).__name__}: {error}")


class InboundSmsRelay(threading.Thread):
    """What AWS does for `inbound_sms`: hands each message published on the topic
    `hamta-inbound-sms` to the handler (chalice local runs no SNS handlers). An SQS queue
    subscribed to the topic in the emulator is polled; each message becomes the Lambda SNS
    event AWS would deliver, and is deleted once handled (or refused: no endless retries)."""

    TOPIC = "hamta-inbound-sms"
    QUEUE = "hamta-local-inbound-sms"

    def __init__(self, endpoint: str, stop: threading.Event) -> None:
        super().__init__(daemon=True, name="inbound-sms")
        self.stop = stop
        import boto3

        region = os.environ["AWS_DEFAULT_REGION"]
        self.sns = boto3.client("sns", endpoint_url=endpoint, region_name=region)
        self.sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=region)
        # All three are idempotent: a second run on the same emulator reuses them.
        self.topic_arn = self.sns.create_topic(Name=self.TOPIC)["TopicArn"]
        self.queue_url = self.sqs.create_queue(QueueName=self.QUEUE)["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        self.subscription_arn = self.sns.subscribe(
            TopicArn=self.topic_arn, Protocol="sqs", Endpoint=queue_arn
        )["SubscriptionArn"]

    def lambda_event(self, envelope: dict) -> dict:
        """The event Lambda gets from an SNS subscription, from the envelope SNS put in SQS."""
        return {
            "Records": [
                {
                    "EventSource": "aws:sns",
                    "EventVersion": "1.0",
                    "EventSubscriptionArn": self.subscription_arn,
                    "Sns": {
                        "Type": envelope.get("Type", "Notification"),
                        "MessageId": envelope.get("MessageId", ""),
                        "TopicArn": envelope.get("TopicArn", self.topic_arn),
                        "Subject": envelope.get("Subject") or "",
                        "Message": envelope.get("Message", ""),
                        "Timestamp": envelope.get("Timestamp", ""),
                        "MessageAttributes": envelope.get("MessageAttributes") or {},
                    },
                }
            ]
        }

    def poll(self) -> None:
        import app as app_module  # the module chalice local serves (already imported)

        received = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        for message in received.get("Messages", []):
            try:
                app_module.inbound_sms(self.lambda_event(json.loads(message["Body"])), None)
                say("inbound_sms: handled a message")
            except Exception as error:  # one bad message must not stop the relay
                say(f"inbound_sms failed: {type(error).__name__}: {error}")
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.poll()
            except Exception as error:  # the emulator is stopping, or briefly away
                if self.stop.wait(0.5):
                    return
                say(f"inbound_sms relay: {type(error).__name__}")


class EnforceJob(threading.Thread):
    """Runs the same handler as the daily schedule, every `interval` seconds."""

    def __init__(self, interval: float, stop: threading.Event) -> None:
        super().__init__(daemon=True, name="enforce")
        self.interval = interval
        self.stop = stop

    def run(self) -> None:
        from chalicelib.services.network import enforcement

        while not self.stop.wait(self.interval):
            try:
                report = enforcement.run()
                say(f"enforce: {json.dumps(report, ensure_ascii=False)}")
            except Exception as error:  # a failed run must not stop the server
                say(f"enforce failed: {type(error).__name__}: {error}")


def say(text: str) -> None:
    print(text, flush=True)


def port_is_free(port: int) -> bool:
    """Can we listen on 127.0.0.1:port? (A busy API port used to end in a traceback, a
    busy emulator port in a silent hang.)"""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _any_method(handler, name: str):  # type: ignore[no-untyped-def]
    if name.startswith("do_"):
        return handler.do_GET  # chalice routes it, and answers 405 for an unknown method
    raise AttributeError(name)


_per_thread = threading.local()


def _current_request_per_thread() -> None:
    """chalice local serves requests on threads, but the app keeps `current_request` (and
    `lambda_context`) in one attribute: two requests at once could read each other's body
    and token. On Lambda a container serves one request at a time; here each thread gets
    its own."""
    from chalice import Chalice

    for name in ("current_request", "lambda_context"):
        if isinstance(getattr(Chalice, name, None), property):
            continue
        setattr(Chalice, name, property(
            lambda self, _n=name: getattr(_per_thread, _n, None),
            lambda self, value, _n=name: setattr(_per_thread, _n, value),
        ))


def start_api(port: int):  # -> chalice.local.LocalDevServer
    from chalice.cli.factory import CLIFactory
    from chalice.local import ChaliceRequestHandler, ThreadedHTTPServer

    _current_request_per_thread()
    # socketserver's default backlog is 5: a front end (or a test) firing 20 requests at
    # once had connections reset before any reached the API.
    ThreadedHTTPServer.request_queue_size = 128

    # API Gateway answers any method it has no route for with a 4xx; chalice's local
    # server knows only the common methods and answers TRACE, QUERY... with a bare 501.
    ChaliceRequestHandler.__getattr__ = _any_method  # type: ignore[attr-defined]

    # A copy of the environment: chalice writes the stage's variables into the factory's
    # environ, and ours (the caller's, then the stage's) are already in place.
    factory = CLIFactory(ROOT, environ=dict(os.environ))
    config = factory.create_config_obj(chalice_stage_name="local")
    server = factory.create_local_server(config.chalice_app, config, "127.0.0.1", port)
    threading.Thread(target=server.serve_forever, daemon=True, name="api").start()
    return server


def wait_until_answering(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # any HTTP answer means the API is serving
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"the API did not answer at {url}")
            time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # moto's own request log would drown the SMS and the API's log.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    stop = threading.Event()
    moto = None
    endpoint = args.aws_endpoint or f"http://127.0.0.1:{args.aws_port}"
    busy = [(flag, port) for flag, port in (("--port", args.port), ("--aws-port", args.aws_port))
            if (flag == "--port" or not args.aws_endpoint) and not port_is_free(port)]
    for flag, port in busy:
        print(f"local.py: port {port} is already in use; free it or choose another with "
              f"{flag}", file=sys.stderr, flush=True)
    if busy:
        return 2
    if not args.aws_endpoint:
        from moto.server import ThreadedMotoServer

        from scripts.moto_patches import atomic_moto_writes, untracked_dynamodb_instances

        atomic_moto_writes()
        untracked_dynamodb_instances()
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=args.aws_port, verbose=False)
        moto.start()
    prepare_environment(endpoint)

    def request_stop(signum, frame):  # type: ignore[no-untyped-def]
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    server = None
    try:
        create_tables()
        from chalicelib.services.registry.partners import provision_key

        operator_key = provision_key("operator", args.operator_key)
        registrar_key = provision_key("registrar", args.registrar_key)
        customs_key = provision_key("customs", args.customs_key)
        if args.demo:
            from scripts import demo

            demo.load_and_print(say, f"http://127.0.0.1:{args.port}", operator_key, registrar_key)
        SmsPrinter(endpoint, stop, in_process=moto is not None).start()
        if args.cleanup_interval > 0:
            CleanupJob(args.cleanup_interval, stop).start()
        if args.enforce_interval > 0:
            EnforceJob(args.enforce_interval, stop).start()
        import app as app_module
        from scripts.local_bulk import BulkDriver, BulkThread

        BulkThread(BulkDriver(app_module, say), stop).start()  # S3 -> SQS -> workers
        server = start_api(args.port)
        InboundSmsRelay(endpoint, stop).start()
        base_url = f"http://127.0.0.1:{args.port}"
        wait_until_answering(base_url + "/me")  # 401: answers, and no limit counts it
        say(f"API:      {base_url}  (stage local)")
        say(f"Web page: {base_url}/  (open it in a browser)")
        say(f"AWS:      {endpoint}  (SMS: {endpoint}/moto-api/data.json)")
        say(f"operator key:  {operator_key}")
        say(f"registrar key: {registrar_key}")
        say(f"customs key:   {customs_key}")
        say("ready")
        # A timed wait: SIGINT delivered to another thread does not wake a main thread
        # blocked in an untimed wait (Python runs the handler only when it wakes), and the
        # run sometimes never stopped. Waking twice a second runs the handler in time.
        while not stop.wait(0.5):
            pass
    finally:
        stop.set()
        if server is not None:
            server.shutdown()
        if moto is not None:
            moto.stop()
    say("stopped")
    return 0


if __name__ == "__main__":
    code = main()
    # Nothing is left to write once "stopped" is printed (every thread is a daemon, the
    # emulator lives in memory), but the interpreter's teardown of moto's objects took
    # ~5 s, over 20 s on a loaded machine: leave at once.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
