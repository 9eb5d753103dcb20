"""Every implemented service, by name. The host, the CLI and the tests all start from here."""

from services import api_gateway, auth, permission, tenant, user, workspace
from services.shared.runtime import ServiceSpec

SERVICES: dict[str, ServiceSpec] = {
    spec.name: spec
    for spec in (
        auth.SERVICE,
        user.SERVICE,
        tenant.SERVICE,
        api_gateway.SERVICE,
        permission.SERVICE,
        workspace.SERVICE,
    )
}
