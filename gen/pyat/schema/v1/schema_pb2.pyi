from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from pyat.api.v1 import access_pb2 as _access_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Field(_message.Message):
    __slots__ = ("id", "name", "type", "description", "options")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    type: str
    description: str
    options: _struct_pb2.Struct
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., type: _Optional[str] = ..., description: _Optional[str] = ..., options: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class Sort(_message.Message):
    __slots__ = ("field_id", "direction")
    FIELD_ID_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    field_id: str
    direction: str
    def __init__(self, field_id: _Optional[str] = ..., direction: _Optional[str] = ...) -> None: ...

class View(_message.Message):
    __slots__ = ("id", "name", "type", "filter_by_formula", "sorts", "visible_field_ids")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    FILTER_BY_FORMULA_FIELD_NUMBER: _ClassVar[int]
    SORTS_FIELD_NUMBER: _ClassVar[int]
    VISIBLE_FIELD_IDS_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    type: str
    filter_by_formula: str
    sorts: _containers.RepeatedCompositeFieldContainer[Sort]
    visible_field_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., type: _Optional[str] = ..., filter_by_formula: _Optional[str] = ..., sorts: _Optional[_Iterable[_Union[Sort, _Mapping]]] = ..., visible_field_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class Table(_message.Message):
    __slots__ = ("id", "base_id", "name", "description", "primary_field_id", "fields", "views", "version")
    ID_FIELD_NUMBER: _ClassVar[int]
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PRIMARY_FIELD_ID_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    VIEWS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    base_id: str
    name: str
    description: str
    primary_field_id: str
    fields: _containers.RepeatedCompositeFieldContainer[Field]
    views: _containers.RepeatedCompositeFieldContainer[View]
    version: int
    def __init__(self, id: _Optional[str] = ..., base_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., primary_field_id: _Optional[str] = ..., fields: _Optional[_Iterable[_Union[Field, _Mapping]]] = ..., views: _Optional[_Iterable[_Union[View, _Mapping]]] = ..., version: _Optional[int] = ...) -> None: ...

class FieldSpec(_message.Message):
    __slots__ = ("name", "type", "description", "options")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: str
    description: str
    options: _struct_pb2.Struct
    def __init__(self, name: _Optional[str] = ..., type: _Optional[str] = ..., description: _Optional[str] = ..., options: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class TableSpec(_message.Message):
    __slots__ = ("name", "description", "fields")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    fields: _containers.RepeatedCompositeFieldContainer[FieldSpec]
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., fields: _Optional[_Iterable[_Union[FieldSpec, _Mapping]]] = ...) -> None: ...

class CreateTablesRequest(_message.Message):
    __slots__ = ("base_id", "tables")
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLES_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    tables: _containers.RepeatedCompositeFieldContainer[TableSpec]
    def __init__(self, base_id: _Optional[str] = ..., tables: _Optional[_Iterable[_Union[TableSpec, _Mapping]]] = ...) -> None: ...

class CreateTablesResponse(_message.Message):
    __slots__ = ("tables",)
    TABLES_FIELD_NUMBER: _ClassVar[int]
    tables: _containers.RepeatedCompositeFieldContainer[Table]
    def __init__(self, tables: _Optional[_Iterable[_Union[Table, _Mapping]]] = ...) -> None: ...

class ListTablesRequest(_message.Message):
    __slots__ = ("base_id",)
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    def __init__(self, base_id: _Optional[str] = ...) -> None: ...

class ListTablesResponse(_message.Message):
    __slots__ = ("tables",)
    TABLES_FIELD_NUMBER: _ClassVar[int]
    tables: _containers.RepeatedCompositeFieldContainer[Table]
    def __init__(self, tables: _Optional[_Iterable[_Union[Table, _Mapping]]] = ...) -> None: ...

class GetTableRequest(_message.Message):
    __slots__ = ("base_id", "table")
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    table: str
    def __init__(self, base_id: _Optional[str] = ..., table: _Optional[str] = ...) -> None: ...

class GetTableResponse(_message.Message):
    __slots__ = ("table",)
    TABLE_FIELD_NUMBER: _ClassVar[int]
    table: Table
    def __init__(self, table: _Optional[_Union[Table, _Mapping]] = ...) -> None: ...

class UpdateTableRequest(_message.Message):
    __slots__ = ("base_id", "table_id", "name", "description")
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    table_id: str
    name: str
    description: str
    def __init__(self, base_id: _Optional[str] = ..., table_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class UpdateTableResponse(_message.Message):
    __slots__ = ("table",)
    TABLE_FIELD_NUMBER: _ClassVar[int]
    table: Table
    def __init__(self, table: _Optional[_Union[Table, _Mapping]] = ...) -> None: ...

class DeleteTableRequest(_message.Message):
    __slots__ = ("base_id", "table_id")
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_ID_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    table_id: str
    def __init__(self, base_id: _Optional[str] = ..., table_id: _Optional[str] = ...) -> None: ...

class DeleteTableResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateFieldRequest(_message.Message):
    __slots__ = ("base_id", "table_id", "field")
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_ID_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    table_id: str
    field: FieldSpec
    def __init__(self, base_id: _Optional[str] = ..., table_id: _Optional[str] = ..., field: _Optional[_Union[FieldSpec, _Mapping]] = ...) -> None: ...

class CreateFieldResponse(_message.Message):
    __slots__ = ("field", "table")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    field: Field
    table: Table
    def __init__(self, field: _Optional[_Union[Field, _Mapping]] = ..., table: _Optional[_Union[Table, _Mapping]] = ...) -> None: ...

class UpdateFieldRequest(_message.Message):
    __slots__ = ("base_id", "table_id", "field_id", "name", "description", "options", "type")
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_ID_FIELD_NUMBER: _ClassVar[int]
    FIELD_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    table_id: str
    field_id: str
    name: str
    description: str
    options: _struct_pb2.Struct
    type: str
    def __init__(self, base_id: _Optional[str] = ..., table_id: _Optional[str] = ..., field_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., options: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., type: _Optional[str] = ...) -> None: ...

class UpdateFieldResponse(_message.Message):
    __slots__ = ("field", "table")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    field: Field
    table: Table
    def __init__(self, field: _Optional[_Union[Field, _Mapping]] = ..., table: _Optional[_Union[Table, _Mapping]] = ...) -> None: ...

class DeleteFieldRequest(_message.Message):
    __slots__ = ("base_id", "table_id", "field_id")
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_ID_FIELD_NUMBER: _ClassVar[int]
    FIELD_ID_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    table_id: str
    field_id: str
    def __init__(self, base_id: _Optional[str] = ..., table_id: _Optional[str] = ..., field_id: _Optional[str] = ...) -> None: ...

class DeleteFieldResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateViewRequest(_message.Message):
    __slots__ = ("base_id", "table_id", "name", "filter_by_formula", "sorts", "visible_field_ids")
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    FILTER_BY_FORMULA_FIELD_NUMBER: _ClassVar[int]
    SORTS_FIELD_NUMBER: _ClassVar[int]
    VISIBLE_FIELD_IDS_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    table_id: str
    name: str
    filter_by_formula: str
    sorts: _containers.RepeatedCompositeFieldContainer[Sort]
    visible_field_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, base_id: _Optional[str] = ..., table_id: _Optional[str] = ..., name: _Optional[str] = ..., filter_by_formula: _Optional[str] = ..., sorts: _Optional[_Iterable[_Union[Sort, _Mapping]]] = ..., visible_field_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class CreateViewResponse(_message.Message):
    __slots__ = ("view",)
    VIEW_FIELD_NUMBER: _ClassVar[int]
    view: View
    def __init__(self, view: _Optional[_Union[View, _Mapping]] = ...) -> None: ...

class UpdateViewRequest(_message.Message):
    __slots__ = ("base_id", "table_id", "view_id", "name", "filter_by_formula", "sorts", "visible_field_ids", "update_mask")
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_ID_FIELD_NUMBER: _ClassVar[int]
    VIEW_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    FILTER_BY_FORMULA_FIELD_NUMBER: _ClassVar[int]
    SORTS_FIELD_NUMBER: _ClassVar[int]
    VISIBLE_FIELD_IDS_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    table_id: str
    view_id: str
    name: str
    filter_by_formula: str
    sorts: _containers.RepeatedCompositeFieldContainer[Sort]
    visible_field_ids: _containers.RepeatedScalarFieldContainer[str]
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, base_id: _Optional[str] = ..., table_id: _Optional[str] = ..., view_id: _Optional[str] = ..., name: _Optional[str] = ..., filter_by_formula: _Optional[str] = ..., sorts: _Optional[_Iterable[_Union[Sort, _Mapping]]] = ..., visible_field_ids: _Optional[_Iterable[str]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateViewResponse(_message.Message):
    __slots__ = ("view",)
    VIEW_FIELD_NUMBER: _ClassVar[int]
    view: View
    def __init__(self, view: _Optional[_Union[View, _Mapping]] = ...) -> None: ...

class DeleteViewRequest(_message.Message):
    __slots__ = ("base_id", "table_id", "view_id")
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_ID_FIELD_NUMBER: _ClassVar[int]
    VIEW_ID_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    table_id: str
    view_id: str
    def __init__(self, base_id: _Optional[str] = ..., table_id: _Optional[str] = ..., view_id: _Optional[str] = ...) -> None: ...

class DeleteViewResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ValidateCellsRequest(_message.Message):
    __slots__ = ("base_id", "table_id", "records", "typecast")
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_ID_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    TYPECAST_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    table_id: str
    records: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Struct]
    typecast: bool
    def __init__(self, base_id: _Optional[str] = ..., table_id: _Optional[str] = ..., records: _Optional[_Iterable[_Union[_struct_pb2.Struct, _Mapping]]] = ..., typecast: _Optional[bool] = ...) -> None: ...

class ValidateCellsResponse(_message.Message):
    __slots__ = ("records", "table")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Struct]
    table: Table
    def __init__(self, records: _Optional[_Iterable[_Union[_struct_pb2.Struct, _Mapping]]] = ..., table: _Optional[_Union[Table, _Mapping]] = ...) -> None: ...
