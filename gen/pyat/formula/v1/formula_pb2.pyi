import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from pyat.api.v1 import access_pb2 as _access_pb2
from pyat.schema.v1 import schema_pb2 as _schema_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Dialect(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIALECT_UNSPECIFIED: _ClassVar[Dialect]
    DIALECT_POSTGRESQL: _ClassVar[Dialect]
    DIALECT_SQLITE: _ClassVar[Dialect]
DIALECT_UNSPECIFIED: Dialect
DIALECT_POSTGRESQL: Dialect
DIALECT_SQLITE: Dialect

class Record(_message.Message):
    __slots__ = ("id", "cells", "created_time", "last_modified_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    CELLS_FIELD_NUMBER: _ClassVar[int]
    CREATED_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_MODIFIED_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    cells: _struct_pb2.Struct
    created_time: _timestamp_pb2.Timestamp
    last_modified_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., cells: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., created_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_modified_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class EvaluateRequest(_message.Message):
    __slots__ = ("formula", "fields", "record_id", "created_time", "last_modified_time", "time_zone")
    FORMULA_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_MODIFIED_TIME_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    formula: str
    fields: _struct_pb2.Struct
    record_id: str
    created_time: _timestamp_pb2.Timestamp
    last_modified_time: _timestamp_pb2.Timestamp
    time_zone: str
    def __init__(self, formula: _Optional[str] = ..., fields: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., record_id: _Optional[str] = ..., created_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_modified_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., time_zone: _Optional[str] = ...) -> None: ...

class EvaluateResponse(_message.Message):
    __slots__ = ("value",)
    VALUE_FIELD_NUMBER: _ClassVar[int]
    value: _struct_pb2.Value
    def __init__(self, value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...

class CheckRequest(_message.Message):
    __slots__ = ("formula", "table")
    FORMULA_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    formula: str
    table: _schema_pb2.Table
    def __init__(self, formula: _Optional[str] = ..., table: _Optional[_Union[_schema_pb2.Table, _Mapping]] = ...) -> None: ...

class CheckResponse(_message.Message):
    __slots__ = ("normalized", "display", "referenced_field_ids", "result_type")
    NORMALIZED_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_FIELD_NUMBER: _ClassVar[int]
    REFERENCED_FIELD_IDS_FIELD_NUMBER: _ClassVar[int]
    RESULT_TYPE_FIELD_NUMBER: _ClassVar[int]
    normalized: str
    display: str
    referenced_field_ids: _containers.RepeatedScalarFieldContainer[str]
    result_type: str
    def __init__(self, normalized: _Optional[str] = ..., display: _Optional[str] = ..., referenced_field_ids: _Optional[_Iterable[str]] = ..., result_type: _Optional[str] = ...) -> None: ...

class TranslateRequest(_message.Message):
    __slots__ = ("formula", "table", "dialect", "time_zone")
    FORMULA_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    DIALECT_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    formula: str
    table: _schema_pb2.Table
    dialect: Dialect
    time_zone: str
    def __init__(self, formula: _Optional[str] = ..., table: _Optional[_Union[_schema_pb2.Table, _Mapping]] = ..., dialect: _Optional[_Union[Dialect, str]] = ..., time_zone: _Optional[str] = ...) -> None: ...

class TranslateResponse(_message.Message):
    __slots__ = ("translated", "sql", "params", "sql_condition", "reason")
    TRANSLATED_FIELD_NUMBER: _ClassVar[int]
    SQL_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    SQL_CONDITION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    translated: bool
    sql: str
    params: _struct_pb2.Struct
    sql_condition: str
    reason: str
    def __init__(self, translated: _Optional[bool] = ..., sql: _Optional[str] = ..., params: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., sql_condition: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class EvaluateRecordsRequest(_message.Message):
    __slots__ = ("formulas", "table", "records", "time_zone")
    FORMULAS_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    formulas: _containers.RepeatedScalarFieldContainer[str]
    table: _schema_pb2.Table
    records: _containers.RepeatedCompositeFieldContainer[Record]
    time_zone: str
    def __init__(self, formulas: _Optional[_Iterable[str]] = ..., table: _Optional[_Union[_schema_pb2.Table, _Mapping]] = ..., records: _Optional[_Iterable[_Union[Record, _Mapping]]] = ..., time_zone: _Optional[str] = ...) -> None: ...

class RecordValues(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Value]
    def __init__(self, values: _Optional[_Iterable[_Union[_struct_pb2.Value, _Mapping]]] = ...) -> None: ...

class EvaluateRecordsResponse(_message.Message):
    __slots__ = ("records",)
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[RecordValues]
    def __init__(self, records: _Optional[_Iterable[_Union[RecordValues, _Mapping]]] = ...) -> None: ...
