"""mobile-bff: compact pages, delta sync and push devices for the mobile app."""

from pyat.mobilebff.v1 import mobile_bff_pb2

from services.shared.runtime import declare_service

SERVICE = declare_service(
    "mobile-bff",
    mobile_bff_pb2.DESCRIPTOR.services_by_name["MobileBffService"],
    "services.mobile_bff.servicer:MobileBffServicer",
    package=__file__,
)
