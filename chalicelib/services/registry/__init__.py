"""Services of partners and the registry: registrars, models, travellers, inquiry."""
