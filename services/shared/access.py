"""Who may call each method: the `(pyat.api.v1.access)` option of the contracts, read once.

The server interceptor judges every call by it, the edge derives its open routes from it, and
the lint refuses a method without it; nobody keeps a list of methods by hand.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf import descriptor, descriptor_pb2, descriptor_pool
from pyat.api.v1 import access_pb2

Audience = access_pb2.Access.Audience
PUBLIC = access_pb2.Access.AUDIENCE_PUBLIC
CALLER = access_pb2.Access.AUDIENCE_CALLER
SESSION = access_pb2.Access.AUDIENCE_SESSION
INTERNAL = access_pb2.Access.AUDIENCE_INTERNAL

# Services every host adds beside ours: health and reflection answer anyone.
FOREIGN_PUBLIC_SERVICES = frozenset(
    {
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
        "grpc.reflection.v1.ServerReflection",
    }
)


@dataclass(frozen=True)
class Rule:
    """The access option of one method, as the interceptor applies it."""

    audience: int
    scopes: tuple[str, ...] = ()
    base_field: str = ""

    @property
    def name(self) -> str:
        return Audience.Name(self.audience).removeprefix("AUDIENCE_").lower()  # type: ignore[arg-type]


FOREIGN_PUBLIC = Rule(PUBLIC)
# Where a server finds each method's rule, by gRPC path.
Rules = Callable[[str], "Rule | None"]


# The generated stubs type the extension as a plain FieldDescriptor.
_ACCESS: Any = access_pb2.access


def rule_of(options: descriptor_pb2.MethodOptions) -> Rule | None:
    """The rule a method's options declare, or None when they declare none."""
    if not options.HasExtension(_ACCESS):
        # Options parsed before access_pb2 was imported keep the extension as unknown bytes.
        options = descriptor_pb2.MethodOptions.FromString(options.SerializeToString())
        if not options.HasExtension(_ACCESS):
            return None
    access: access_pb2.Access = options.Extensions[_ACCESS]
    if access.audience == access_pb2.Access.AUDIENCE_UNSPECIFIED:
        return None
    return Rule(access.audience, tuple(access.scopes), access.base_field)


@functools.cache
def rule_for(grpc_path: str) -> Rule | None:
    """The rule for a served method ("/pkg.Service/Method"), or None for an undeclared one."""
    service, _, method = grpc_path.lstrip("/").partition("/")
    if service in FOREIGN_PUBLIC_SERVICES:
        return FOREIGN_PUBLIC
    try:
        found = descriptor_pool.Default().FindMethodByName(f"{service}.{method}")
    except KeyError:
        return None
    return rule_of(_options(found))


def _options(method: descriptor.MethodDescriptor) -> descriptor_pb2.MethodOptions:
    proto = descriptor_pb2.MethodDescriptorProto()
    method.CopyToProto(proto)
    return proto.options


def undeclared(files: descriptor_pb2.FileDescriptorSet) -> Iterator[str]:
    """Every method of a `pyat.*` service in `files` that declares no access."""
    for file in files.file:
        if not file.package.startswith("pyat."):
            continue
        for service in file.service:
            for method in service.method:
                if rule_of(method.options) is None:
                    yield f"{file.package}.{service.name}.{method.name}"


def main(argv: list[str] | None = None) -> int:
    """`python -m services.shared.access SET.binpb`: fail when a method declares no access."""
    import sys

    paths = sys.argv[1:] if argv is None else argv
    missing = [
        name
        for path in paths
        for name in undeclared(descriptor_pb2.FileDescriptorSet.FromString(Path(path).read_bytes()))
    ]
    for name in missing:
        print(f"{name}: no (pyat.api.v1.access) option; every method must declare its access")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
