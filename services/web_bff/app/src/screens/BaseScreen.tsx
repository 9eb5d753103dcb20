// A base: its tables as tabs, the chosen table's grid, a form to add a table, and the base's
// search, whose hits open their record on their table's grid.

import { useCallback, useEffect, useState } from "react";
import { createTable, getBase, listTables } from "../api/client";
import { describe } from "../api/errors";
import { roleLabel } from "../api/members";
import { roleAtLeast, type Base, type FieldSpec, type Table } from "../api/types";
import { GridView } from "../grid/GridView";
import { linkProps, navigate } from "../router";
import { BaseSearch } from "../search/BaseSearch";
import { CreateForm } from "./CreateForm";
import "./sharing.css";

// What a new table starts with, like Airtable's: a primary name and a few typed columns.
export const STARTER_FIELDS: FieldSpec[] = [
  { name: "Name", type: "singleLineText" },
  { name: "Notes", type: "multilineText" },
  {
    name: "Status",
    type: "singleSelect",
    options: { choices: [{ name: "Todo" }, { name: "In progress" }, { name: "Done" }] },
  },
  { name: "Count", type: "number", options: { precision: 0 } },
  { name: "Done", type: "checkbox" },
  { name: "Due", type: "date" },
];

function tablePath(baseId: string, tableId: string): string {
  return `/bases/${encodeURIComponent(baseId)}/tables/${encodeURIComponent(tableId)}`;
}

export function BaseScreen({ baseId, tableId }: { baseId: string; tableId?: string }) {
  const [base, setBase] = useState<Base | null>(null);
  const [tables, setTables] = useState<Table[] | null>(null);
  const [error, setError] = useState("");
  // A search hit to open once its table's grid is on screen.
  const [opening, setOpening] = useState<{ tableId: string; recordId: string } | null>(null);
  const opened = useCallback(() => setOpening(null), []);

  const load = useCallback(async () => {
    try {
      const [loadedBase, loadedTables] = await Promise.all([getBase(baseId), listTables(baseId)]);
      setBase(loadedBase);
      setTables(loadedTables);
      setError("");
    } catch (e) {
      setError(describe(e));
    }
  }, [baseId]);

  useEffect(() => {
    void load();
  }, [load]);

  const first = tables?.[0];
  useEffect(() => {
    if (!tableId && first) navigate(tablePath(baseId, first.id), { replace: true });
  }, [tableId, first, baseId]);

  const current = tables?.find((t) => t.id === tableId);

  return (
    <main className="page base-page">
      <nav aria-label="Breadcrumb" className="crumbs">
        <a {...linkProps("/")}>Home</a> <span aria-hidden="true">›</span>{" "}
        <span>{base?.name ?? "…"}</span>
      </nav>
      <div className="base-header">
        <h1>{base?.name ?? "Base"}</h1>
        {tables && tables.length > 0 && (
          <BaseSearch
            baseId={baseId}
            baseName={base?.name ?? "this base"}
            tables={tables}
            tableId={tableId}
            onOpen={(hit) => {
              setOpening(hit);
              navigate(tablePath(baseId, hit.tableId));
            }}
          />
        )}
      </div>
      {base && !roleAtLeast(base.my_role, "ROLE_EDITOR") && (
        <p className="role-note" role="note">
          You have {roleLabel(base.my_role).toLowerCase()} access to this base: you can look at its records but
          not change them. Ask an owner of its workspace to make you an editor.
        </p>
      )}
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
      {tables && (
        <div className="table-bar">
          <nav aria-label="Tables" className="tabs">
            {tables.map((t) => (
              <a
                key={t.id}
                className={t.id === tableId ? "tab current" : "tab"}
                aria-current={t.id === tableId ? "page" : undefined}
                {...linkProps(tablePath(baseId, t.id))}
              >
                {t.name}
              </a>
            ))}
          </nav>
          {roleAtLeast(base?.my_role, "ROLE_CREATOR") && (
            <CreateForm
              label="Table name"
              button="Create table"
              onCreate={async (name) => {
                const table = await createTable(baseId, name, STARTER_FIELDS);
                setTables((old) => [...(old ?? []), table]);
                navigate(tablePath(baseId, table.id));
              }}
            />
          )}
        </div>
      )}
      {tables?.length === 0 && (
        <p>
          {roleAtLeast(base?.my_role, "ROLE_CREATOR")
            ? "This base has no tables yet. Name one to create it."
            : "This base has no tables yet."}
        </p>
      )}
      {tableId && tables && !current && !error && <p role="alert">That table is not in this base.</p>}
      {/* Started with the tabs, not after them: GetGrid brings the table itself. */}
      {tableId && !error && (!tables || current) && (
        <GridView
          key={tableId}
          baseId={baseId}
          tableId={tableId}
          openRecord={opening?.tableId === tableId ? opening.recordId : undefined}
          onRecordOpened={opened}
        />
      )}
    </main>
  );
}
