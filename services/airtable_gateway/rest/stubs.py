"""The services the REST front calls, through their generated stubs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web
from pyat.airtable.v1 import airtable_gateway_pb2_grpc
from pyat.permission.v1 import permission_pb2_grpc
from pyat.schema.v1 import schema_pb2_grpc
from pyat.user.v1 import user_pb2_grpc
from pyat.workspace.v1 import workspace_pb2_grpc

from services.shared.clients import Clients

if TYPE_CHECKING:  # the async stub types exist only in the generated .pyi
    from pyat.airtable.v1.airtable_gateway_pb2_grpc import AirtableGatewayServiceAsyncStub
    from pyat.permission.v1.permission_pb2_grpc import PermissionServiceAsyncStub
    from pyat.schema.v1.schema_pb2_grpc import SchemaServiceAsyncStub
    from pyat.user.v1.user_pb2_grpc import UserServiceAsyncStub
    from pyat.workspace.v1.workspace_pb2_grpc import WorkspaceServiceAsyncStub


@dataclass(frozen=True)
class Stubs:
    records: AirtableGatewayServiceAsyncStub
    schema: SchemaServiceAsyncStub
    workspace: WorkspaceServiceAsyncStub
    # Who may reach a workspace or base, and who they are: for the collaborators of base
    # and workspace information.
    permission: PermissionServiceAsyncStub
    user: UserServiceAsyncStub

    @classmethod
    def of(cls, clients: Clients) -> Stubs:
        return cls(
            records=airtable_gateway_pb2_grpc.AirtableGatewayServiceStub(
                clients.channel("airtable-gateway")
            ),
            schema=schema_pb2_grpc.SchemaServiceStub(clients.channel("schema")),
            workspace=workspace_pb2_grpc.WorkspaceServiceStub(clients.channel("workspace")),
            permission=permission_pb2_grpc.PermissionServiceStub(clients.channel("permission")),
            user=user_pb2_grpc.UserServiceStub(clients.channel("user")),
        )


STUBS = web.AppKey("stubs", Stubs)


def stubs_of(request: web.Request) -> Stubs:
    return request.app[STUBS]
