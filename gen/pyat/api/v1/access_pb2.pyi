from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
ACCESS_FIELD_NUMBER: _ClassVar[int]
access: _descriptor.FieldDescriptor

class Access(_message.Message):
    __slots__ = ("audience", "scopes", "base_field")
    class Audience(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        AUDIENCE_UNSPECIFIED: _ClassVar[Access.Audience]
        AUDIENCE_PUBLIC: _ClassVar[Access.Audience]
        AUDIENCE_CALLER: _ClassVar[Access.Audience]
        AUDIENCE_SESSION: _ClassVar[Access.Audience]
        AUDIENCE_INTERNAL: _ClassVar[Access.Audience]
    AUDIENCE_UNSPECIFIED: Access.Audience
    AUDIENCE_PUBLIC: Access.Audience
    AUDIENCE_CALLER: Access.Audience
    AUDIENCE_SESSION: Access.Audience
    AUDIENCE_INTERNAL: Access.Audience
    AUDIENCE_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    BASE_FIELD_FIELD_NUMBER: _ClassVar[int]
    audience: Access.Audience
    scopes: _containers.RepeatedScalarFieldContainer[str]
    base_field: str
    def __init__(self, audience: _Optional[_Union[Access.Audience, str]] = ..., scopes: _Optional[_Iterable[str]] = ..., base_field: _Optional[str] = ...) -> None: ...
