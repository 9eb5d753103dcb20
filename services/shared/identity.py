"""Who is calling: the verified identity that travels with every call as gRPC metadata.

The edge strips these headers from whatever a client sends and only the gateway (or a
service passing its own caller on) sets them, so a service can trust them.
"""

TENANT_HEADER = "x-pyat-tenant-id"
USER_HEADER = "x-pyat-user-id"
SCOPES_HEADER = "x-pyat-scopes"
IDENTITY_HEADERS = (TENANT_HEADER, USER_HEADER, SCOPES_HEADER)
