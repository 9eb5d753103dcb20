// Changing a table's fields (schema-service UpdateField / DeleteField) and finding the records
// a link field can point at (Airtable's list records, by formula).

import { getTable, normalizeTable } from "./client";
import { fieldRef, stringLiteral } from "./formulas";
import { apiJson, jsonBody } from "./session";
import type { Field, FieldOptions, Table } from "./types";

const enc = encodeURIComponent;

// Airtable's limit of records per list call, and so of record ids per lookup.
export const LOOKUP_BATCH = 100;

/** What UpdateField changes; the parts left out stay as they are. */
export interface FieldChange {
  name?: string;
  description?: string;
  type?: string;
  options?: FieldOptions;
}

function fieldPath(baseId: string, tableId: string, fieldId: string): string {
  return `/v1/bases/${enc(baseId)}/tables/${enc(tableId)}/fields/${enc(fieldId)}`;
}

/** Renames, describes, retypes or reconfigures a field; the answer is the whole table. */
export async function updateField(
  baseId: string,
  tableId: string,
  fieldId: string,
  change: FieldChange,
): Promise<{ field: Field; table: Table }> {
  const answer = await apiJson<{ field: Field; table: Table }>(
    fieldPath(baseId, tableId, fieldId),
    jsonBody("PATCH", change),
  );
  return { field: answer.field, table: normalizeTable(answer.table) };
}

/** Deletes a field, then reads the table back (deleting a link also drops its inverse, which
 * may be in this same table). */
export async function deleteField(baseId: string, tableId: string, fieldId: string): Promise<Table> {
  await apiJson(fieldPath(baseId, tableId, fieldId), { method: "DELETE" });
  return getTable(baseId, tableId);
}

export interface NamedRecord {
  id: string;
  /** The record's primary value, as the grid shows it. */
  name: string;
}

// Primary values as text, whatever the primary field's type.
const AS_TEXT = { cellFormat: "string", timeZone: "UTC", userLocale: "en-us", returnFieldsByFieldId: true };

/** Up to a page of `table`'s records whose primary value matches `formula`, by POST so that
 * long formulas (a hundred record ids) fit. */
async function primaryValuesWhere(baseId: string, table: Table, formula: string): Promise<NamedRecord[]> {
  const answer = await apiJson<{ records?: { id: string; fields?: Record<string, unknown> }[] }>(
    `/v0/${enc(baseId)}/${enc(table.id)}/listRecords`,
    jsonBody("POST", { ...AS_TEXT, fields: [table.primary_field_id], filterByFormula: formula, pageSize: LOOKUP_BATCH }),
  );
  return (answer.records ?? []).map((r) => ({ id: r.id, name: String(r.fields?.[table.primary_field_id] ?? "") }));
}

/** The records of `table` whose primary value contains `text` (any case); the first page of
 * them all when `text` is empty. */
export function searchRecords(baseId: string, table: Table, text: string): Promise<NamedRecord[]> {
  const primary = table.fields.find((f) => f.id === table.primary_field_id);
  const term = text.trim();
  const formula =
    term && primary ? `SEARCH(LOWER(${stringLiteral(term)}), LOWER(${fieldRef(primary.name)}))` : "";
  return primaryValuesWhere(baseId, table, formula);
}

/** The primary values of up to LOOKUP_BATCH records of `table`; ids that are gone are left out. */
export function namesOf(baseId: string, table: Table, recordIds: string[]): Promise<NamedRecord[]> {
  // Record ids are rec + letters and digits: nothing in them can leave the quotes.
  const ids = recordIds.filter((id) => /^rec[A-Za-z0-9]+$/.test(id));
  if (!ids.length) return Promise.resolve([]);
  return primaryValuesWhere(baseId, table, `OR(${ids.map((id) => `RECORD_ID()='${id}'`).join(",")})`);
}
