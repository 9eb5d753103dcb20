"""Every implemented service, by name. The host, the CLI and the tests all start from here."""

from services import auth, user
from services.shared.runtime import ServiceSpec

SERVICES: dict[str, ServiceSpec] = {
    spec.name: spec
    for spec in (
        auth.SERVICE,
        user.SERVICE,
    )
}
