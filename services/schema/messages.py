"""Stored rows as the contract's messages, with formulas shown by field name."""

from __future__ import annotations

import copy

from pyat.schema.v1 import schema_pb2

from services.schema.formulas import display
from services.schema.storage import BaseSchema, FieldRow, TableRow, ViewRow
from services.shared.structs import to_struct


def field(row: FieldRow, names: dict[str, str]) -> schema_pb2.Field:
    """`names` maps the ids of the table's fields to their names."""
    options = row.options
    if row.type == "formula":
        options = copy.deepcopy(options)
        options["formula"] = display(options["formula"], names)
    return schema_pb2.Field(
        id=row.id,
        name=row.name,
        type=row.type,
        description=row.description,
        options=to_struct(options),
    )


def view(row: ViewRow, names: dict[str, str]) -> schema_pb2.View:
    return schema_pb2.View(
        id=row.id,
        name=row.name,
        type=row.type,
        filter_by_formula=display(row.filter_by_formula, names),
        sorts=[
            schema_pb2.Sort(field_id=s["field_id"], direction=s["direction"]) for s in row.sorts
        ],
        visible_field_ids=row.visible_field_ids,
    )


def table(row: TableRow, fields: list[FieldRow], views: list[ViewRow]) -> schema_pb2.Table:
    names = {f.id: f.name for f in fields}
    return schema_pb2.Table(
        id=row.id,
        base_id=row.base_id,
        name=row.name,
        description=row.description,
        primary_field_id=row.primary_field_id,
        fields=[field(f, names) for f in fields],
        views=[view(v, names) for v in views],
        version=row.version,
    )


def table_in(schema: BaseSchema, row: TableRow) -> schema_pb2.Table:
    """A table of `schema` with its fields and views."""
    return table(row, schema.fields_of(row.id), schema.views_of(row.id))
