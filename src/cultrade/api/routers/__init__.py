"""Routers of the REST API, one per area; every route calls one library function."""
