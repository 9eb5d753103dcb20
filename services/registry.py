"""Every implemented service, by name. The host, the CLI and the tests all start from here."""

from services import (
    airtable_gateway,
    api_gateway,
    auth,
    embedding,
    formula,
    mcp,
    mobile_bff,
    permission,
    schema,
    search,
    tenant,
    user,
    web_bff,
    workspace,
)
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
        formula.SERVICE,
        schema.SERVICE,
        airtable_gateway.SERVICE,
        web_bff.SERVICE,
        mobile_bff.SERVICE,
        embedding.SERVICE,
        search.SERVICE,
        mcp.SERVICE,
    )
}
