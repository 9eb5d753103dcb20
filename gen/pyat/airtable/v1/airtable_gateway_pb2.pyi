import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from pyat.api.v1 import access_pb2 as _access_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CellFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CELL_FORMAT_UNSPECIFIED: _ClassVar[CellFormat]
    CELL_FORMAT_JSON: _ClassVar[CellFormat]
    CELL_FORMAT_STRING: _ClassVar[CellFormat]

class ChangeKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANGE_KIND_UNSPECIFIED: _ClassVar[ChangeKind]
    CHANGE_KIND_CREATED: _ClassVar[ChangeKind]
    CHANGE_KIND_UPDATED: _ClassVar[ChangeKind]
    CHANGE_KIND_DELETED: _ClassVar[ChangeKind]

class AggregateFunction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AGGREGATE_FUNCTION_UNSPECIFIED: _ClassVar[AggregateFunction]
    AGGREGATE_FUNCTION_COUNT: _ClassVar[AggregateFunction]
    AGGREGATE_FUNCTION_SUM: _ClassVar[AggregateFunction]
    AGGREGATE_FUNCTION_AVERAGE: _ClassVar[AggregateFunction]
    AGGREGATE_FUNCTION_MIN: _ClassVar[AggregateFunction]
    AGGREGATE_FUNCTION_MAX: _ClassVar[AggregateFunction]
CELL_FORMAT_UNSPECIFIED: CellFormat
CELL_FORMAT_JSON: CellFormat
CELL_FORMAT_STRING: CellFormat
CHANGE_KIND_UNSPECIFIED: ChangeKind
CHANGE_KIND_CREATED: ChangeKind
CHANGE_KIND_UPDATED: ChangeKind
CHANGE_KIND_DELETED: ChangeKind
AGGREGATE_FUNCTION_UNSPECIFIED: AggregateFunction
AGGREGATE_FUNCTION_COUNT: AggregateFunction
AGGREGATE_FUNCTION_SUM: AggregateFunction
AGGREGATE_FUNCTION_AVERAGE: AggregateFunction
AGGREGATE_FUNCTION_MIN: AggregateFunction
AGGREGATE_FUNCTION_MAX: AggregateFunction

class Record(_message.Message):
    __slots__ = ("id", "created_time", "fields")
    ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_TIME_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    id: str
    created_time: _timestamp_pb2.Timestamp
    fields: _struct_pb2.Struct
    def __init__(self, id: _Optional[str] = ..., created_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., fields: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class Sort(_message.Message):
    __slots__ = ("field", "direction")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    field: str
    direction: str
    def __init__(self, field: _Optional[str] = ..., direction: _Optional[str] = ...) -> None: ...

class Output(_message.Message):
    __slots__ = ("cell_format", "time_zone", "user_locale", "return_fields_by_field_id")
    CELL_FORMAT_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    USER_LOCALE_FIELD_NUMBER: _ClassVar[int]
    RETURN_FIELDS_BY_FIELD_ID_FIELD_NUMBER: _ClassVar[int]
    cell_format: CellFormat
    time_zone: str
    user_locale: str
    return_fields_by_field_id: bool
    def __init__(self, cell_format: _Optional[_Union[CellFormat, str]] = ..., time_zone: _Optional[str] = ..., user_locale: _Optional[str] = ..., return_fields_by_field_id: _Optional[bool] = ...) -> None: ...

class ListRecordsRequest(_message.Message):
    __slots__ = ("base_id", "table", "page_size", "offset", "max_records", "fields", "sorts", "view", "filter_by_formula", "output", "start", "count_total")
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    MAX_RECORDS_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    SORTS_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    FILTER_BY_FORMULA_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    COUNT_TOTAL_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    table: str
    page_size: int
    offset: str
    max_records: int
    fields: _containers.RepeatedScalarFieldContainer[str]
    sorts: _containers.RepeatedCompositeFieldContainer[Sort]
    view: str
    filter_by_formula: str
    output: Output
    start: int
    count_total: bool
    def __init__(self, base_id: _Optional[str] = ..., table: _Optional[str] = ..., page_size: _Optional[int] = ..., offset: _Optional[str] = ..., max_records: _Optional[int] = ..., fields: _Optional[_Iterable[str]] = ..., sorts: _Optional[_Iterable[_Union[Sort, _Mapping]]] = ..., view: _Optional[str] = ..., filter_by_formula: _Optional[str] = ..., output: _Optional[_Union[Output, _Mapping]] = ..., start: _Optional[int] = ..., count_total: _Optional[bool] = ...) -> None: ...

class ListRecordsResponse(_message.Message):
    __slots__ = ("records", "offset", "total")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[Record]
    offset: str
    total: int
    def __init__(self, records: _Optional[_Iterable[_Union[Record, _Mapping]]] = ..., offset: _Optional[str] = ..., total: _Optional[int] = ...) -> None: ...

class GetRecordRequest(_message.Message):
    __slots__ = ("base_id", "table", "record_id", "output")
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    table: str
    record_id: str
    output: Output
    def __init__(self, base_id: _Optional[str] = ..., table: _Optional[str] = ..., record_id: _Optional[str] = ..., output: _Optional[_Union[Output, _Mapping]] = ...) -> None: ...

class GetRecordResponse(_message.Message):
    __slots__ = ("record",)
    RECORD_FIELD_NUMBER: _ClassVar[int]
    record: Record
    def __init__(self, record: _Optional[_Union[Record, _Mapping]] = ...) -> None: ...

class CreateRecordsRequest(_message.Message):
    __slots__ = ("base_id", "table", "records", "typecast", "return_fields_by_field_id")
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    TYPECAST_FIELD_NUMBER: _ClassVar[int]
    RETURN_FIELDS_BY_FIELD_ID_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    table: str
    records: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Struct]
    typecast: bool
    return_fields_by_field_id: bool
    def __init__(self, base_id: _Optional[str] = ..., table: _Optional[str] = ..., records: _Optional[_Iterable[_Union[_struct_pb2.Struct, _Mapping]]] = ..., typecast: _Optional[bool] = ..., return_fields_by_field_id: _Optional[bool] = ...) -> None: ...

class CreateRecordsResponse(_message.Message):
    __slots__ = ("records",)
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[Record]
    def __init__(self, records: _Optional[_Iterable[_Union[Record, _Mapping]]] = ...) -> None: ...

class RecordUpdate(_message.Message):
    __slots__ = ("id", "fields")
    ID_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    id: str
    fields: _struct_pb2.Struct
    def __init__(self, id: _Optional[str] = ..., fields: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class UpdateRecordsRequest(_message.Message):
    __slots__ = ("base_id", "table", "records", "replace", "typecast", "return_fields_by_field_id", "fields_to_merge_on")
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    REPLACE_FIELD_NUMBER: _ClassVar[int]
    TYPECAST_FIELD_NUMBER: _ClassVar[int]
    RETURN_FIELDS_BY_FIELD_ID_FIELD_NUMBER: _ClassVar[int]
    FIELDS_TO_MERGE_ON_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    table: str
    records: _containers.RepeatedCompositeFieldContainer[RecordUpdate]
    replace: bool
    typecast: bool
    return_fields_by_field_id: bool
    fields_to_merge_on: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, base_id: _Optional[str] = ..., table: _Optional[str] = ..., records: _Optional[_Iterable[_Union[RecordUpdate, _Mapping]]] = ..., replace: _Optional[bool] = ..., typecast: _Optional[bool] = ..., return_fields_by_field_id: _Optional[bool] = ..., fields_to_merge_on: _Optional[_Iterable[str]] = ...) -> None: ...

class UpdateRecordsResponse(_message.Message):
    __slots__ = ("records", "created_record_ids", "updated_record_ids")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    CREATED_RECORD_IDS_FIELD_NUMBER: _ClassVar[int]
    UPDATED_RECORD_IDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[Record]
    created_record_ids: _containers.RepeatedScalarFieldContainer[str]
    updated_record_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, records: _Optional[_Iterable[_Union[Record, _Mapping]]] = ..., created_record_ids: _Optional[_Iterable[str]] = ..., updated_record_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class DeleteRecordsRequest(_message.Message):
    __slots__ = ("base_id", "table", "record_ids")
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    RECORD_IDS_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    table: str
    record_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, base_id: _Optional[str] = ..., table: _Optional[str] = ..., record_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class DeleteRecordsResponse(_message.Message):
    __slots__ = ("deleted_record_ids",)
    DELETED_RECORD_IDS_FIELD_NUMBER: _ClassVar[int]
    deleted_record_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, deleted_record_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class RecordChange(_message.Message):
    __slots__ = ("cursor", "kind", "table_id", "record_id", "changed_at", "actor_id", "changed_field_ids", "record")
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TABLE_ID_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_IDS_FIELD_NUMBER: _ClassVar[int]
    RECORD_FIELD_NUMBER: _ClassVar[int]
    cursor: str
    kind: ChangeKind
    table_id: str
    record_id: str
    changed_at: _timestamp_pb2.Timestamp
    actor_id: str
    changed_field_ids: _containers.RepeatedScalarFieldContainer[str]
    record: Record
    def __init__(self, cursor: _Optional[str] = ..., kind: _Optional[_Union[ChangeKind, str]] = ..., table_id: _Optional[str] = ..., record_id: _Optional[str] = ..., changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor_id: _Optional[str] = ..., changed_field_ids: _Optional[_Iterable[str]] = ..., record: _Optional[_Union[Record, _Mapping]] = ...) -> None: ...

class ListRecordChangesRequest(_message.Message):
    __slots__ = ("base_id", "table", "after", "page_size", "newest_first", "omit_records")
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    NEWEST_FIRST_FIELD_NUMBER: _ClassVar[int]
    OMIT_RECORDS_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    table: str
    after: str
    page_size: int
    newest_first: bool
    omit_records: bool
    def __init__(self, base_id: _Optional[str] = ..., table: _Optional[str] = ..., after: _Optional[str] = ..., page_size: _Optional[int] = ..., newest_first: _Optional[bool] = ..., omit_records: _Optional[bool] = ...) -> None: ...

class ListRecordChangesResponse(_message.Message):
    __slots__ = ("changes", "cursor", "has_more")
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    HAS_MORE_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[RecordChange]
    cursor: str
    has_more: bool
    def __init__(self, changes: _Optional[_Iterable[_Union[RecordChange, _Mapping]]] = ..., cursor: _Optional[str] = ..., has_more: _Optional[bool] = ...) -> None: ...

class Connection(_message.Message):
    __slots__ = ("base_id", "airtable_base_id", "workspace_id", "name", "endpoint_url", "created_by", "created_at")
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    AIRTABLE_BASE_ID_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_URL_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    airtable_base_id: str
    workspace_id: str
    name: str
    endpoint_url: str
    created_by: str
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, base_id: _Optional[str] = ..., airtable_base_id: _Optional[str] = ..., workspace_id: _Optional[str] = ..., name: _Optional[str] = ..., endpoint_url: _Optional[str] = ..., created_by: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ConnectBaseRequest(_message.Message):
    __slots__ = ("workspace_id", "airtable_base_id", "token", "name", "endpoint_url")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    AIRTABLE_BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_URL_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    airtable_base_id: str
    token: str
    name: str
    endpoint_url: str
    def __init__(self, workspace_id: _Optional[str] = ..., airtable_base_id: _Optional[str] = ..., token: _Optional[str] = ..., name: _Optional[str] = ..., endpoint_url: _Optional[str] = ...) -> None: ...

class ConnectBaseResponse(_message.Message):
    __slots__ = ("connection",)
    CONNECTION_FIELD_NUMBER: _ClassVar[int]
    connection: Connection
    def __init__(self, connection: _Optional[_Union[Connection, _Mapping]] = ...) -> None: ...

class ListConnectionsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListConnectionsResponse(_message.Message):
    __slots__ = ("connections",)
    CONNECTIONS_FIELD_NUMBER: _ClassVar[int]
    connections: _containers.RepeatedCompositeFieldContainer[Connection]
    def __init__(self, connections: _Optional[_Iterable[_Union[Connection, _Mapping]]] = ...) -> None: ...

class DisconnectBaseRequest(_message.Message):
    __slots__ = ("base_id",)
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    def __init__(self, base_id: _Optional[str] = ...) -> None: ...

class DisconnectBaseResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Aggregation(_message.Message):
    __slots__ = ("function", "field")
    FUNCTION_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    function: AggregateFunction
    field: str
    def __init__(self, function: _Optional[_Union[AggregateFunction, str]] = ..., field: _Optional[str] = ...) -> None: ...

class AggregateRecordsRequest(_message.Message):
    __slots__ = ("base_id", "table", "aggregations", "group_by", "filter_by_formula", "max_groups")
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    AGGREGATIONS_FIELD_NUMBER: _ClassVar[int]
    GROUP_BY_FIELD_NUMBER: _ClassVar[int]
    FILTER_BY_FORMULA_FIELD_NUMBER: _ClassVar[int]
    MAX_GROUPS_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    table: str
    aggregations: _containers.RepeatedCompositeFieldContainer[Aggregation]
    group_by: str
    filter_by_formula: str
    max_groups: int
    def __init__(self, base_id: _Optional[str] = ..., table: _Optional[str] = ..., aggregations: _Optional[_Iterable[_Union[Aggregation, _Mapping]]] = ..., group_by: _Optional[str] = ..., filter_by_formula: _Optional[str] = ..., max_groups: _Optional[int] = ...) -> None: ...

class AggregateGroup(_message.Message):
    __slots__ = ("key", "records", "values")
    KEY_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    key: _struct_pb2.Value
    records: int
    values: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Value]
    def __init__(self, key: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., records: _Optional[int] = ..., values: _Optional[_Iterable[_Union[_struct_pb2.Value, _Mapping]]] = ...) -> None: ...

class AggregateRecordsResponse(_message.Message):
    __slots__ = ("groups", "truncated")
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    groups: _containers.RepeatedCompositeFieldContainer[AggregateGroup]
    truncated: bool
    def __init__(self, groups: _Optional[_Iterable[_Union[AggregateGroup, _Mapping]]] = ..., truncated: _Optional[bool] = ...) -> None: ...
