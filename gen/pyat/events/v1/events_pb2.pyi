import datetime

from google.protobuf import any_pb2 as _any_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Event(_message.Message):
    __slots__ = ("id", "type", "tenant_id", "source", "occurred_at", "payload", "trace_context")
    class TraceContextEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    TRACE_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    id: str
    type: str
    tenant_id: str
    source: str
    occurred_at: _timestamp_pb2.Timestamp
    payload: _any_pb2.Any
    trace_context: _containers.ScalarMap[str, str]
    def __init__(self, id: _Optional[str] = ..., type: _Optional[str] = ..., tenant_id: _Optional[str] = ..., source: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., payload: _Optional[_Union[_any_pb2.Any, _Mapping]] = ..., trace_context: _Optional[_Mapping[str, str]] = ...) -> None: ...

class UserRegistered(_message.Message):
    __slots__ = ("user_id", "tenant_id", "email", "name")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    tenant_id: str
    email: str
    name: str
    def __init__(self, user_id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., email: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class UserSignedIn(_message.Message):
    __slots__ = ("user_id", "tenant_id", "method")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    tenant_id: str
    method: str
    def __init__(self, user_id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., method: _Optional[str] = ...) -> None: ...

class SessionsRevoked(_message.Message):
    __slots__ = ("user_id", "tenant_id", "session_ids")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_IDS_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    tenant_id: str
    session_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, user_id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., session_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class UserUpdated(_message.Message):
    __slots__ = ("user_id", "tenant_id", "changed_fields")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELDS_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    tenant_id: str
    changed_fields: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, user_id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., changed_fields: _Optional[_Iterable[str]] = ...) -> None: ...

class TenantCreated(_message.Message):
    __slots__ = ("tenant_id", "owner_user_id", "plan")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_USER_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    owner_user_id: str
    plan: str
    def __init__(self, tenant_id: _Optional[str] = ..., owner_user_id: _Optional[str] = ..., plan: _Optional[str] = ...) -> None: ...

class TenantUpdated(_message.Message):
    __slots__ = ("tenant_id", "plan", "changed_fields")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELDS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    plan: str
    changed_fields: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, tenant_id: _Optional[str] = ..., plan: _Optional[str] = ..., changed_fields: _Optional[_Iterable[str]] = ...) -> None: ...

class TenantMemberJoined(_message.Message):
    __slots__ = ("tenant_id", "user_id", "invitation_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    INVITATION_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    user_id: str
    invitation_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., user_id: _Optional[str] = ..., invitation_id: _Optional[str] = ...) -> None: ...

class GrantChanged(_message.Message):
    __slots__ = ("tenant_id", "subject_id", "workspace_id", "base_id", "table_id", "role")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    subject_id: str
    workspace_id: str
    base_id: str
    table_id: str
    role: str
    def __init__(self, tenant_id: _Optional[str] = ..., subject_id: _Optional[str] = ..., workspace_id: _Optional[str] = ..., base_id: _Optional[str] = ..., table_id: _Optional[str] = ..., role: _Optional[str] = ...) -> None: ...

class WorkspaceChanged(_message.Message):
    __slots__ = ("tenant_id", "workspace_id", "change", "actor_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    workspace_id: str
    change: str
    actor_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., workspace_id: _Optional[str] = ..., change: _Optional[str] = ..., actor_id: _Optional[str] = ...) -> None: ...

class BaseChanged(_message.Message):
    __slots__ = ("tenant_id", "workspace_id", "base_id", "change", "actor_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    workspace_id: str
    base_id: str
    change: str
    actor_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., workspace_id: _Optional[str] = ..., base_id: _Optional[str] = ..., change: _Optional[str] = ..., actor_id: _Optional[str] = ...) -> None: ...

class WorkspaceInvitationChanged(_message.Message):
    __slots__ = ("tenant_id", "workspace_id", "invitation_id", "email", "change", "actor_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    INVITATION_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    workspace_id: str
    invitation_id: str
    email: str
    change: str
    actor_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., workspace_id: _Optional[str] = ..., invitation_id: _Optional[str] = ..., email: _Optional[str] = ..., change: _Optional[str] = ..., actor_id: _Optional[str] = ...) -> None: ...

class TableChanged(_message.Message):
    __slots__ = ("tenant_id", "base_id", "table_id", "change", "actor_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    base_id: str
    table_id: str
    change: str
    actor_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., base_id: _Optional[str] = ..., table_id: _Optional[str] = ..., change: _Optional[str] = ..., actor_id: _Optional[str] = ...) -> None: ...

class FieldChanged(_message.Message):
    __slots__ = ("tenant_id", "base_id", "table_id", "field_id", "change", "actor_id", "renamed_choices", "removed_choices", "previous_type", "type")
    class RenamedChoicesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_ID_FIELD_NUMBER: _ClassVar[int]
    FIELD_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    RENAMED_CHOICES_FIELD_NUMBER: _ClassVar[int]
    REMOVED_CHOICES_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_TYPE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    base_id: str
    table_id: str
    field_id: str
    change: str
    actor_id: str
    renamed_choices: _containers.ScalarMap[str, str]
    removed_choices: _containers.RepeatedScalarFieldContainer[str]
    previous_type: str
    type: str
    def __init__(self, tenant_id: _Optional[str] = ..., base_id: _Optional[str] = ..., table_id: _Optional[str] = ..., field_id: _Optional[str] = ..., change: _Optional[str] = ..., actor_id: _Optional[str] = ..., renamed_choices: _Optional[_Mapping[str, str]] = ..., removed_choices: _Optional[_Iterable[str]] = ..., previous_type: _Optional[str] = ..., type: _Optional[str] = ...) -> None: ...

class RecordCreated(_message.Message):
    __slots__ = ("tenant_id", "base_id", "table_id", "record_id", "fields", "actor_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_ID_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    base_id: str
    table_id: str
    record_id: str
    fields: _struct_pb2.Struct
    actor_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., base_id: _Optional[str] = ..., table_id: _Optional[str] = ..., record_id: _Optional[str] = ..., fields: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., actor_id: _Optional[str] = ...) -> None: ...

class RecordUpdated(_message.Message):
    __slots__ = ("tenant_id", "base_id", "table_id", "record_id", "changed_field_ids", "fields", "previous_fields", "actor_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_ID_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_IDS_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_FIELDS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    base_id: str
    table_id: str
    record_id: str
    changed_field_ids: _containers.RepeatedScalarFieldContainer[str]
    fields: _struct_pb2.Struct
    previous_fields: _struct_pb2.Struct
    actor_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., base_id: _Optional[str] = ..., table_id: _Optional[str] = ..., record_id: _Optional[str] = ..., changed_field_ids: _Optional[_Iterable[str]] = ..., fields: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., previous_fields: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., actor_id: _Optional[str] = ...) -> None: ...

class RecordDeleted(_message.Message):
    __slots__ = ("tenant_id", "base_id", "table_id", "record_id", "actor_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_ID_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    base_id: str
    table_id: str
    record_id: str
    actor_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., base_id: _Optional[str] = ..., table_id: _Optional[str] = ..., record_id: _Optional[str] = ..., actor_id: _Optional[str] = ...) -> None: ...
