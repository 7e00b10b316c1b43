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
