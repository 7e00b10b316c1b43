"""The Hamta registry's Chalice app: routes (by blueprint) and the scheduled expiry job."""
from __future__ import annotations

from chalice import Chalice, Rate

from chalicelib import settings
from chalicelib.routes import auth, devices, inquiry, menu, partners, registry, sims
from chalicelib.routes import page  # the web page (GET / and its files)

settings.check_startup()

app = Chalice(app_name="hamta")
app.api.cors = True

for area in (auth, sims, devices, partners, inquiry, menu, registry):
    app.register_blueprint(area.bp)
app.register_blueprint(page.bp)


@app.schedule(Rate(1, unit=Rate.HOURS), name="expire_sims")
def expire_sims(event):  # type: ignore[no-untyped-def]
    """API.md "Scheduled job"; chalicelib/services/expiry.py does the work."""
    # Imported here: the API's cold start never pays for the job's thread pool and queries.
    from chalicelib.services import expiry

    # event.context is the Lambda context: the job stops well before its time limit.
    return expiry.run(context=event.context)
