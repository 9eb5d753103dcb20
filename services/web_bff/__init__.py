"""web-bff: one call per screen of the web app, and the web app's files."""

from pyat.webbff.v1 import web_bff_pb2

from services.shared.runtime import declare_service

SERVICE = declare_service(
    "web-bff",
    web_bff_pb2.DESCRIPTOR.services_by_name["WebBffService"],
    "services.web_bff.servicer:WebBffServicer",
    package=__file__,
    on_start=["services.web_bff.http:start", "services.web_bff.kept:listen"],
)
