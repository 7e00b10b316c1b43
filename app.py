"""The Hamta registry's Chalice app: routes (by blueprint) and the scheduled expiry job."""
from __future__ import annotations

from chalice import Chalice, Cron

from chalicelib import settings
from chalicelib.routes import auth, devices, inquiry, partners, sims

settings.check_startup()

app = Chalice(app_name="hamta")
app.api.cors = True

for area in (auth, sims, devices, partners, inquiry):
    app.register_blueprint(area.bp)


# The expiry job (API.md "Scheduled job"): hourly; chalicelib/services/expiry.py does the work.
from chalice import Rate  # noqa: E402

from chalicelib.services import expiry  # noqa: E402


@app.schedule(Rate(1, unit=Rate.HOURS), name="expire_sims")
def expire_sims(event):  # type: ignore[no-untyped-def]
    # event.context is the Lambda context: the job stops well before its time limit.
    return expiry.run(context=event.context)
