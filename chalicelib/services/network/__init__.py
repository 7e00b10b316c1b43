"""Services of network enforcement: observations, dumps, the enforce job."""
