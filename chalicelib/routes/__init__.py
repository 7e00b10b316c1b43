"""Routes, one Chalice blueprint per area of API.md; each parses, calls a service, renders."""
