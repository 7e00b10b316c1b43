"""Services of SIMs: cartable SIMs, operator records, expiry."""
