"""The rules of API.md, one module per flow; no HTTP and no Chalice objects here."""
