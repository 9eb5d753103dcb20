"""auth-service: credentials, sign-in and token verification."""

from pyat.auth.v1 import auth_pb2

from services.shared.runtime import declare_service

SERVICE = declare_service(
    "auth",
    auth_pb2.DESCRIPTOR.services_by_name["AuthService"],
    "services.auth.servicer:AuthServicer",
    package=__file__,
)
