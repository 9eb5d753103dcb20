import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from pyat.api.v1 import access_pb2 as _access_pb2
from pyat.permission.v1 import permission_pb2 as _permission_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Platform(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PLATFORM_UNSPECIFIED: _ClassVar[Platform]
    PLATFORM_IOS: _ClassVar[Platform]
    PLATFORM_ANDROID: _ClassVar[Platform]
    PLATFORM_WEB: _ClassVar[Platform]
PLATFORM_UNSPECIFIED: Platform
PLATFORM_IOS: Platform
PLATFORM_ANDROID: Platform
PLATFORM_WEB: Platform

class CompactField(_message.Message):
    __slots__ = ("id", "name", "type")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    type: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., type: _Optional[str] = ...) -> None: ...

class CompactTable(_message.Message):
    __slots__ = ("id", "name", "primary_field_id", "fields")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PRIMARY_FIELD_ID_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    primary_field_id: str
    fields: _containers.RepeatedCompositeFieldContainer[CompactField]
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., primary_field_id: _Optional[str] = ..., fields: _Optional[_Iterable[_Union[CompactField, _Mapping]]] = ...) -> None: ...

class CompactBase(_message.Message):
    __slots__ = ("id", "name", "workspace_id", "role", "tables")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    TABLES_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    workspace_id: str
    role: _permission_pb2.Role
    tables: _containers.RepeatedCompositeFieldContainer[CompactTable]
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., workspace_id: _Optional[str] = ..., role: _Optional[_Union[_permission_pb2.Role, str]] = ..., tables: _Optional[_Iterable[_Union[CompactTable, _Mapping]]] = ...) -> None: ...

class CompactRecord(_message.Message):
    __slots__ = ("id", "cells", "created_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    CELLS_FIELD_NUMBER: _ClassVar[int]
    CREATED_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    cells: _struct_pb2.Struct
    created_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., cells: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., created_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListBasesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListBasesResponse(_message.Message):
    __slots__ = ("bases",)
    BASES_FIELD_NUMBER: _ClassVar[int]
    bases: _containers.RepeatedCompositeFieldContainer[CompactBase]
    def __init__(self, bases: _Optional[_Iterable[_Union[CompactBase, _Mapping]]] = ...) -> None: ...

class ListRecordsRequest(_message.Message):
    __slots__ = ("base_id", "table_id", "page", "page_size")
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    table_id: str
    page: str
    page_size: int
    def __init__(self, base_id: _Optional[str] = ..., table_id: _Optional[str] = ..., page: _Optional[str] = ..., page_size: _Optional[int] = ...) -> None: ...

class ListRecordsResponse(_message.Message):
    __slots__ = ("records", "next_page", "sync_cursor")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_FIELD_NUMBER: _ClassVar[int]
    SYNC_CURSOR_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[CompactRecord]
    next_page: str
    sync_cursor: str
    def __init__(self, records: _Optional[_Iterable[_Union[CompactRecord, _Mapping]]] = ..., next_page: _Optional[str] = ..., sync_cursor: _Optional[str] = ...) -> None: ...

class SyncTableRequest(_message.Message):
    __slots__ = ("base_id", "table_id", "since", "limit")
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_ID_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    table_id: str
    since: str
    limit: int
    def __init__(self, base_id: _Optional[str] = ..., table_id: _Optional[str] = ..., since: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class SyncTableResponse(_message.Message):
    __slots__ = ("upserted", "deleted_ids", "sync_cursor", "has_more")
    UPSERTED_FIELD_NUMBER: _ClassVar[int]
    DELETED_IDS_FIELD_NUMBER: _ClassVar[int]
    SYNC_CURSOR_FIELD_NUMBER: _ClassVar[int]
    HAS_MORE_FIELD_NUMBER: _ClassVar[int]
    upserted: _containers.RepeatedCompositeFieldContainer[CompactRecord]
    deleted_ids: _containers.RepeatedScalarFieldContainer[str]
    sync_cursor: str
    has_more: bool
    def __init__(self, upserted: _Optional[_Iterable[_Union[CompactRecord, _Mapping]]] = ..., deleted_ids: _Optional[_Iterable[str]] = ..., sync_cursor: _Optional[str] = ..., has_more: _Optional[bool] = ...) -> None: ...

class Device(_message.Message):
    __slots__ = ("id", "platform", "name", "registered_at", "last_seen_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_SEEN_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    platform: Platform
    name: str
    registered_at: _timestamp_pb2.Timestamp
    last_seen_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., platform: _Optional[_Union[Platform, str]] = ..., name: _Optional[str] = ..., registered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_seen_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RegisterDeviceRequest(_message.Message):
    __slots__ = ("push_token", "platform", "name")
    PUSH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    push_token: str
    platform: Platform
    name: str
    def __init__(self, push_token: _Optional[str] = ..., platform: _Optional[_Union[Platform, str]] = ..., name: _Optional[str] = ...) -> None: ...

class RegisterDeviceResponse(_message.Message):
    __slots__ = ("device",)
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    device: Device
    def __init__(self, device: _Optional[_Union[Device, _Mapping]] = ...) -> None: ...

class ListDevicesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListDevicesResponse(_message.Message):
    __slots__ = ("devices",)
    DEVICES_FIELD_NUMBER: _ClassVar[int]
    devices: _containers.RepeatedCompositeFieldContainer[Device]
    def __init__(self, devices: _Optional[_Iterable[_Union[Device, _Mapping]]] = ...) -> None: ...

class UnregisterDeviceRequest(_message.Message):
    __slots__ = ("device_id",)
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    def __init__(self, device_id: _Optional[str] = ...) -> None: ...

class UnregisterDeviceResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListPushTokensRequest(_message.Message):
    __slots__ = ("tenant_id", "user_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    user_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class PushToken(_message.Message):
    __slots__ = ("device_id", "platform", "push_token")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    PUSH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    platform: Platform
    push_token: str
    def __init__(self, device_id: _Optional[str] = ..., platform: _Optional[_Union[Platform, str]] = ..., push_token: _Optional[str] = ...) -> None: ...

class ListPushTokensResponse(_message.Message):
    __slots__ = ("tokens",)
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    tokens: _containers.RepeatedCompositeFieldContainer[PushToken]
    def __init__(self, tokens: _Optional[_Iterable[_Union[PushToken, _Mapping]]] = ...) -> None: ...
