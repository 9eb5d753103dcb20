import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from pyat.api.v1 import access_pb2 as _access_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Role(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROLE_UNSPECIFIED: _ClassVar[Role]
    ROLE_READ_ONLY: _ClassVar[Role]
    ROLE_COMMENTER: _ClassVar[Role]
    ROLE_EDITOR: _ClassVar[Role]
    ROLE_CREATOR: _ClassVar[Role]
    ROLE_OWNER: _ClassVar[Role]

class Action(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTION_UNSPECIFIED: _ClassVar[Action]
    ACTION_READ: _ClassVar[Action]
    ACTION_COMMENT: _ClassVar[Action]
    ACTION_EDIT_RECORDS: _ClassVar[Action]
    ACTION_EDIT_SCHEMA: _ClassVar[Action]
    ACTION_MANAGE_MEMBERS: _ClassVar[Action]
    ACTION_DELETE: _ClassVar[Action]
ROLE_UNSPECIFIED: Role
ROLE_READ_ONLY: Role
ROLE_COMMENTER: Role
ROLE_EDITOR: Role
ROLE_CREATOR: Role
ROLE_OWNER: Role
ACTION_UNSPECIFIED: Action
ACTION_READ: Action
ACTION_COMMENT: Action
ACTION_EDIT_RECORDS: Action
ACTION_EDIT_SCHEMA: Action
ACTION_MANAGE_MEMBERS: Action
ACTION_DELETE: Action

class Resource(_message.Message):
    __slots__ = ("workspace_id", "base_id", "table_id")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_ID_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    base_id: str
    table_id: str
    def __init__(self, workspace_id: _Optional[str] = ..., base_id: _Optional[str] = ..., table_id: _Optional[str] = ...) -> None: ...

class Grant(_message.Message):
    __slots__ = ("tenant_id", "subject_id", "resource", "role", "granted_at", "granted_by")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    GRANTED_AT_FIELD_NUMBER: _ClassVar[int]
    GRANTED_BY_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    subject_id: str
    resource: Resource
    role: Role
    granted_at: _timestamp_pb2.Timestamp
    granted_by: str
    def __init__(self, tenant_id: _Optional[str] = ..., subject_id: _Optional[str] = ..., resource: _Optional[_Union[Resource, _Mapping]] = ..., role: _Optional[_Union[Role, str]] = ..., granted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., granted_by: _Optional[str] = ...) -> None: ...

class CheckRequest(_message.Message):
    __slots__ = ("subject_id", "action", "resource")
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    subject_id: str
    action: Action
    resource: Resource
    def __init__(self, subject_id: _Optional[str] = ..., action: _Optional[_Union[Action, str]] = ..., resource: _Optional[_Union[Resource, _Mapping]] = ...) -> None: ...

class CheckResponse(_message.Message):
    __slots__ = ("allowed", "role")
    ALLOWED_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    allowed: bool
    role: Role
    def __init__(self, allowed: _Optional[bool] = ..., role: _Optional[_Union[Role, str]] = ...) -> None: ...

class BatchCheckRequest(_message.Message):
    __slots__ = ("checks",)
    CHECKS_FIELD_NUMBER: _ClassVar[int]
    checks: _containers.RepeatedCompositeFieldContainer[CheckRequest]
    def __init__(self, checks: _Optional[_Iterable[_Union[CheckRequest, _Mapping]]] = ...) -> None: ...

class BatchCheckResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[CheckResponse]
    def __init__(self, results: _Optional[_Iterable[_Union[CheckResponse, _Mapping]]] = ...) -> None: ...

class GrantRequest(_message.Message):
    __slots__ = ("subject_id", "resource", "role")
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    subject_id: str
    resource: Resource
    role: Role
    def __init__(self, subject_id: _Optional[str] = ..., resource: _Optional[_Union[Resource, _Mapping]] = ..., role: _Optional[_Union[Role, str]] = ...) -> None: ...

class GrantResponse(_message.Message):
    __slots__ = ("grant",)
    GRANT_FIELD_NUMBER: _ClassVar[int]
    grant: Grant
    def __init__(self, grant: _Optional[_Union[Grant, _Mapping]] = ...) -> None: ...

class RevokeRequest(_message.Message):
    __slots__ = ("subject_id", "resource")
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    subject_id: str
    resource: Resource
    def __init__(self, subject_id: _Optional[str] = ..., resource: _Optional[_Union[Resource, _Mapping]] = ...) -> None: ...

class RevokeResponse(_message.Message):
    __slots__ = ("revoked",)
    REVOKED_FIELD_NUMBER: _ClassVar[int]
    revoked: bool
    def __init__(self, revoked: _Optional[bool] = ...) -> None: ...

class ListGrantsRequest(_message.Message):
    __slots__ = ("resource", "subject_id")
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    resource: Resource
    subject_id: str
    def __init__(self, resource: _Optional[_Union[Resource, _Mapping]] = ..., subject_id: _Optional[str] = ...) -> None: ...

class ListGrantsResponse(_message.Message):
    __slots__ = ("grants",)
    GRANTS_FIELD_NUMBER: _ClassVar[int]
    grants: _containers.RepeatedCompositeFieldContainer[Grant]
    def __init__(self, grants: _Optional[_Iterable[_Union[Grant, _Mapping]]] = ...) -> None: ...
