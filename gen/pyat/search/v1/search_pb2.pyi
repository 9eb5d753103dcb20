from google.api import annotations_pb2 as _annotations_pb2
from pyat.api.v1 import access_pb2 as _access_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SearchMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEARCH_MODE_UNSPECIFIED: _ClassVar[SearchMode]
    SEARCH_MODE_HYBRID: _ClassVar[SearchMode]
    SEARCH_MODE_SEMANTIC: _ClassVar[SearchMode]
    SEARCH_MODE_KEYWORD: _ClassVar[SearchMode]
SEARCH_MODE_UNSPECIFIED: SearchMode
SEARCH_MODE_HYBRID: SearchMode
SEARCH_MODE_SEMANTIC: SearchMode
SEARCH_MODE_KEYWORD: SearchMode

class SearchRequest(_message.Message):
    __slots__ = ("base_id", "query", "table", "k", "filter_by_formula", "mode")
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    FILTER_BY_FORMULA_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    query: str
    table: str
    k: int
    filter_by_formula: str
    mode: SearchMode
    def __init__(self, base_id: _Optional[str] = ..., query: _Optional[str] = ..., table: _Optional[str] = ..., k: _Optional[int] = ..., filter_by_formula: _Optional[str] = ..., mode: _Optional[_Union[SearchMode, str]] = ...) -> None: ...

class SearchHit(_message.Message):
    __slots__ = ("record_id", "table_id", "score", "similarity", "semantic_rank", "keyword_rank", "text")
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_ID_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    SEMANTIC_RANK_FIELD_NUMBER: _ClassVar[int]
    KEYWORD_RANK_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    record_id: str
    table_id: str
    score: float
    similarity: float
    semantic_rank: int
    keyword_rank: int
    text: str
    def __init__(self, record_id: _Optional[str] = ..., table_id: _Optional[str] = ..., score: _Optional[float] = ..., similarity: _Optional[float] = ..., semantic_rank: _Optional[int] = ..., keyword_rank: _Optional[int] = ..., text: _Optional[str] = ...) -> None: ...

class SearchResponse(_message.Message):
    __slots__ = ("hits",)
    HITS_FIELD_NUMBER: _ClassVar[int]
    hits: _containers.RepeatedCompositeFieldContainer[SearchHit]
    def __init__(self, hits: _Optional[_Iterable[_Union[SearchHit, _Mapping]]] = ...) -> None: ...

class GetIndexStatusRequest(_message.Message):
    __slots__ = ("base_id",)
    BASE_ID_FIELD_NUMBER: _ClassVar[int]
    base_id: str
    def __init__(self, base_id: _Optional[str] = ...) -> None: ...

class GetIndexStatusResponse(_message.Message):
    __slots__ = ("indexed_records", "pending_records", "model")
    INDEXED_RECORDS_FIELD_NUMBER: _ClassVar[int]
    PENDING_RECORDS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    indexed_records: int
    pending_records: int
    model: str
    def __init__(self, indexed_records: _Optional[int] = ..., pending_records: _Optional[int] = ..., model: _Optional[str] = ...) -> None: ...
