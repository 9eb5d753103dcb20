// The grid alone with 100,000 generated records, for tests/web/measure_grid.py: how long the
// visible window takes to render as it scrolls. Not part of the app's build.

import { createRoot } from "react-dom/client";
import type { Field, GridRecord } from "../src/api/types";
import { Grid } from "../src/grid/Grid";
import "../src/styles.css";

const params = new URLSearchParams(window.location.search);
const ROWS = Number(params.get("rows") ?? 100_000);
// Columns beyond the eight typed ones repeat them, to see how width costs.
const COLUMNS = Number(params.get("columns") ?? 8);
const STATUS = ["Todo", "In progress", "Done"];

const typed: Field[] = [
  { id: "fldName", name: "Name", type: "singleLineText" },
  { id: "fldNotes", name: "Notes", type: "multilineText" },
  {
    id: "fldStatus",
    name: "Status",
    type: "singleSelect",
    options: { choices: STATUS.map((name) => ({ name })) },
  },
  { id: "fldCount", name: "Count", type: "number", options: { precision: 2 } },
  { id: "fldDone", name: "Done", type: "checkbox" },
  { id: "fldDue", name: "Due", type: "date" },
  { id: "fldTotal", name: "Total", type: "formula", options: { formula: "{Count} * 2" } },
  { id: "fldEmail", name: "Email", type: "email" },
];
const fields: Field[] = Array.from({ length: COLUMNS }, (_, i) => {
  const field = typed[i % typed.length] as Field;
  return i < typed.length ? field : { ...field, id: `${field.id}${i}`, name: `${field.name} ${i}` };
});

const records: GridRecord[] = Array.from({ length: ROWS }, (_, i) => {
  const values: Record<string, unknown> = {
    fldName: `Record ${i + 1}`,
    fldNotes: `Some notes about record ${i + 1}`,
    fldStatus: STATUS[i % 3],
    fldCount: i * 1.5,
    fldDone: i % 2 === 0,
    fldDue: `2026-${String((i % 12) + 1).padStart(2, "0")}-15`,
    fldTotal: i * 3,
    fldEmail: `person${i}@example.com`,
  };
  for (const field of fields.slice(typed.length)) {
    values[field.id] = values[field.id.replace(/\d+$/, "")];
  }
  return { id: `rec${String(i).padStart(14, "0")}`, fields: values };
});

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <main className="page">
      <Grid
        label="Bench"
        fields={fields}
        records={records}
        hasMore={false}
        editable
        errors={new Map()}
        onVisibleRange={() => undefined}
        onCommit={() => undefined}
      />
    </main>,
  );
}
