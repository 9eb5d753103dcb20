"""user-service: profiles of the people in each tenant."""

from pyat.user.v1 import user_pb2

from services.shared.runtime import declare_service

SERVICE = declare_service(
    "user",
    user_pb2.DESCRIPTOR.services_by_name["UserService"],
    "services.user.servicer:UserServicer",
    package=__file__,
    on_start=["services.user.events:subscribe"],
)
