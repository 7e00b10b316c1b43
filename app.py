"""The Hamta registry's Chalice app: routes (by blueprint), the scheduled jobs and their queue workers."""
from __future__ import annotations

from chalice import Chalice, Rate

from chalicelib import settings
from chalicelib.log import lambda_handler
from chalicelib.routes import auth, connections, devices, inquiry, menu, page, partners, registry, sims, ussd
from chalicelib.routes import enforcement as enforcement_routes

settings.check_startup()

app = Chalice(app_name="hamta")
app.api.cors = True

for area in (auth, sims, connections, devices, partners, inquiry, menu, registry, ussd, page):
    app.register_blueprint(area.bp)
app.register_blueprint(enforcement_routes.bp)


@app.schedule(Rate(1, unit=Rate.HOURS), name="expire_sims")
@lambda_handler
def expire_sims(event):  # type: ignore[no-untyped-def]
    """API.md "Scheduled job"; chalicelib/services/sims/expiry.py does the work."""
    # Imported here: the API's cold start never pays for the job's thread pool and queries.
    from chalicelib.services.sims import expiry

    # event.context is the Lambda context: the job stops well before its time limit.
    return expiry.run(context=event.context)


@app.on_sns_message(topic="hamta-inbound-sms", name="inbound_sms")
@lambda_handler
def inbound_sms(event):  # type: ignore[no-untyped-def]
    """API.md "USSD *7777# and SMS to 7777": an SMS to 7777, as AWS two-way SMS publishes it."""
    from chalicelib.services.channels import inbound_sms as channel

    channel.handle(event.message)


@app.schedule(Rate(1, unit=Rate.DAYS), name="enforce")
@lambda_handler
def enforce(event):  # type: ignore[no-untyped-def]
    """API.md "Network enforcement": chalicelib/services/network/enforcement.py does the work."""
    from chalicelib.services.network import enforcement

    return enforcement.run(context=event.context)


# The bulk path (chalicelib/services/network/observation_dumps.py). The splitter is a plain Lambda
# that infra/template.json subscribes to the dump bucket's ObjectCreated events:
# `chalice package` refuses @app.on_s3_event (CloudFormation cannot add notifications to a
# bucket it does not own), so the template owns the bucket and its notification instead.
@app.lambda_function(name="split_observations")
@lambda_handler
def split_observations(event, context):  # type: ignore[no-untyped-def]
    """An S3 ObjectCreated event: each new dump is split into chunks on the queue."""
    from urllib.parse import unquote_plus

    from chalicelib.services.network import observation_dumps

    return [
        observation_dumps.split(record["s3"]["bucket"]["name"], unquote_plus(record["s3"]["object"]["key"]))
        for record in event.get("Records", [])
    ]


# One chunk a delivery: a chunk that keeps failing goes to the dead-letter queue alone.
@app.on_sqs_message(queue=settings.OBSERVATIONS_QUEUE, batch_size=1, name="observe_chunk")
@lambda_handler
def observe_chunk(event):  # type: ignore[no-untyped-def]
    """Worker: judge the chunk's rows; an exception leaves the message for SQS to retry."""
    from chalicelib.services.network import observation_dumps

    return [observation_dumps.process_chunk(record.body) for record in event]


# The expiry job's fan-out (chalicelib/services/sims/expiry_fanout.py), used only with
# EXPIRY_FANOUT=on: then expire_sims puts one message per (day, shard) slice with work here.
# One slice a delivery: a slice that keeps crashing goes to the dead-letter queue alone.
@app.on_sqs_message(queue=settings.EXPIRY_QUEUE, batch_size=1, name="expire_slice")
@lambda_handler
def expire_slice(event):  # type: ignore[no-untyped-def]
    """Worker: expire one slice's SIMs until its deadline, then put the rest back on the queue."""
    from chalicelib.services.sims import expiry_fanout

    return [expiry_fanout.work_slice(record.body, context=event.context) for record in event]
