import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from pyat.airtable.v1 import airtable_gateway_pb2 as _airtable_gateway_pb2
from pyat.api.v1 import access_pb2 as _access_pb2
from pyat.permission.v1 import permission_pb2 as _permission_pb2
from pyat.schema.v1 import schema_pb2 as _schema_pb2
from pyat.workspace.v1 import workspace_pb2 as _workspace_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Partial(_message.Message):
    __slots__ = ("section", "reason")
    SECTION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    section: str
    reason: str
    def __init__(self, section: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class Me(_message.Message):
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

class HomeWorkspace(_message.Message):
    __slots__ = ("workspace", "bases")
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    BASES_FIELD_NUMBER: _ClassVar[int]
    workspace: _workspace_pb2.Workspace
    bases: _containers.RepeatedCompositeFieldContainer[_workspace_pb2.Base]
    def __init__(self, workspace: _Optional[_Union[_workspace_pb2.Workspace, _Mapping]] = ..., bases: _Optional[_Iterable[_Union[_workspace_pb2.Base, _Mapping]]] = ...) -> None: ...

class Activity(_message.Message):
    __slots__ = ("base_id", "base_name", "table_id", "record_id", "kind", "actor_id", "at")
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    BASE_NAME_FIELD_NUMBER: _ClassVar[int]
    TABLE_ID_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    base_name: str
    table_id: str
    record_id: str
    kind: _airtable_gateway_pb2.ChangeKind
    actor_id: str
    at: _timestamp_pb2.Timestamp
    def __init__(self, base_id: _Optional[str] = ..., base_name: _Optional[str] = ..., table_id: _Optional[str] = ..., record_id: _Optional[str] = ..., kind: _Optional[_Union[_airtable_gateway_pb2.ChangeKind, str]] = ..., actor_id: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetHomeRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetHomeResponse(_message.Message):
    __slots__ = ("me", "workspaces", "recent_activity", "partial")
    ME_FIELD_NUMBER: _ClassVar[int]
    WORKSPACES_FIELD_NUMBER: _ClassVar[int]
    RECENT_ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    PARTIAL_FIELD_NUMBER: _ClassVar[int]
    me: Me
    workspaces: _containers.RepeatedCompositeFieldContainer[HomeWorkspace]
    recent_activity: _containers.RepeatedCompositeFieldContainer[Activity]
    partial: _containers.RepeatedCompositeFieldContainer[Partial]
    def __init__(self, me: _Optional[_Union[Me, _Mapping]] = ..., workspaces: _Optional[_Iterable[_Union[HomeWorkspace, _Mapping]]] = ..., recent_activity: _Optional[_Iterable[_Union[Activity, _Mapping]]] = ..., partial: _Optional[_Iterable[_Union[Partial, _Mapping]]] = ...) -> None: ...

class GetGridRequest(_message.Message):
    __slots__ = ("base_id", "table_id", "view", "page_size")
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_ID_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    table_id: str
    view: str
    page_size: int
    def __init__(self, base_id: _Optional[str] = ..., table_id: _Optional[str] = ..., view: _Optional[str] = ..., page_size: _Optional[int] = ...) -> None: ...

class GetGridResponse(_message.Message):
    __slots__ = ("base", "table", "records", "offset", "role", "cursor", "partial", "total")
    BASE_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    PARTIAL_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    base: _workspace_pb2.Base
    table: _schema_pb2.Table
    records: _containers.RepeatedCompositeFieldContainer[_airtable_gateway_pb2.Record]
    offset: str
    role: _permission_pb2.Role
    cursor: str
    partial: _containers.RepeatedCompositeFieldContainer[Partial]
    total: int
    def __init__(self, base: _Optional[_Union[_workspace_pb2.Base, _Mapping]] = ..., table: _Optional[_Union[_schema_pb2.Table, _Mapping]] = ..., records: _Optional[_Iterable[_Union[_airtable_gateway_pb2.Record, _Mapping]]] = ..., offset: _Optional[str] = ..., role: _Optional[_Union[_permission_pb2.Role, str]] = ..., cursor: _Optional[str] = ..., partial: _Optional[_Iterable[_Union[Partial, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class GetGridRowsRequest(_message.Message):
    __slots__ = ("base_id", "table_id", "view", "filter_by_formula", "sort", "start", "page_size")
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_ID_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    FILTER_BY_FORMULA_FIELD_NUMBER: _ClassVar[int]
    SORT_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    table_id: str
    view: str
    filter_by_formula: str
    sort: _containers.RepeatedScalarFieldContainer[str]
    start: int
    page_size: int
    def __init__(self, base_id: _Optional[str] = ..., table_id: _Optional[str] = ..., view: _Optional[str] = ..., filter_by_formula: _Optional[str] = ..., sort: _Optional[_Iterable[str]] = ..., start: _Optional[int] = ..., page_size: _Optional[int] = ...) -> None: ...

class GetGridRowsResponse(_message.Message):
    __slots__ = ("records", "total")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[_airtable_gateway_pb2.Record]
    total: int
    def __init__(self, records: _Optional[_Iterable[_Union[_airtable_gateway_pb2.Record, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class GetRecordRequest(_message.Message):
    __slots__ = ("base_id", "table_id", "record_id")
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_ID_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    table_id: str
    record_id: str
    def __init__(self, base_id: _Optional[str] = ..., table_id: _Optional[str] = ..., record_id: _Optional[str] = ...) -> None: ...

class LinkedRecord(_message.Message):
    __slots__ = ("id", "name")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class LinkedRecords(_message.Message):
    __slots__ = ("records",)
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[LinkedRecord]
    def __init__(self, records: _Optional[_Iterable[_Union[LinkedRecord, _Mapping]]] = ...) -> None: ...

class GetRecordResponse(_message.Message):
    __slots__ = ("record", "table", "linked", "role", "partial")
    class LinkedEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: LinkedRecords
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[LinkedRecords, _Mapping]] = ...) -> None: ...
    RECORD_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    LINKED_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    PARTIAL_FIELD_NUMBER: _ClassVar[int]
    record: _airtable_gateway_pb2.Record
    table: _schema_pb2.Table
    linked: _containers.MessageMap[str, LinkedRecords]
    role: _permission_pb2.Role
    partial: _containers.RepeatedCompositeFieldContainer[Partial]
    def __init__(self, record: _Optional[_Union[_airtable_gateway_pb2.Record, _Mapping]] = ..., table: _Optional[_Union[_schema_pb2.Table, _Mapping]] = ..., linked: _Optional[_Mapping[str, LinkedRecords]] = ..., role: _Optional[_Union[_permission_pb2.Role, str]] = ..., partial: _Optional[_Iterable[_Union[Partial, _Mapping]]] = ...) -> None: ...

class WatchTableRequest(_message.Message):
    __slots__ = ("base_id", "table_id", "cursor")
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_ID_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    table_id: str
    cursor: str
    def __init__(self, base_id: _Optional[str] = ..., table_id: _Optional[str] = ..., cursor: _Optional[str] = ...) -> None: ...

class WatchTableResponse(_message.Message):
    __slots__ = ("change", "cursor")
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    change: _airtable_gateway_pb2.RecordChange
    cursor: str
    def __init__(self, change: _Optional[_Union[_airtable_gateway_pb2.RecordChange, _Mapping]] = ..., cursor: _Optional[str] = ...) -> None: ...
