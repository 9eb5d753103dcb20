// A table's grid screen: loads the first page (web-bff's GetGrid), the next pages of 100 as
// the grid scrolls near their end, follows live changes, and saves cell edits.

import { useCallback, useEffect, useRef, useState } from "react";
import { createField, createRecord, deleteRecord, getGrid, listRecords, updateRecord, watchTable } from "../api/client";
import { describe } from "../api/errors";
import { roleAtLeast, type CellValue, type Field, type GridRecord, type Role, type Table, type WatchTableResponse } from "../api/types";
import { Grid, type Position } from "./Grid";
import { AddFieldForm } from "./AddFieldForm";
import { RecordDialog } from "./RecordDialog";

// Load the next page when the grid shows a row this close to the end of what is loaded.
const PREFETCH_ROWS = 50;

interface Unsaved {
  value: CellValue;
  /** Which edit this was, to tell the newest edit of a cell from older ones. */
  mark: number;
}

interface State {
  table: Table;
  role: Role;
  records: GridRecord[];
  offset: string;
}

function fieldsInOrder(table: Table): Field[] {
  const primary = table.fields.find((f) => f.id === table.primary_field_id);
  return primary ? [primary, ...table.fields.filter((f) => f !== primary)] : table.fields;
}

export function GridView({ baseId, tableId }: { baseId: string; tableId: string }) {
  const [state, setState] = useState<State | null>(null);
  const [error, setError] = useState("");
  const [refusal, setRefusal] = useState("");
  const [errors, setErrors] = useState<ReadonlyMap<string, string>>(new Map());
  const [request, setRequest] = useState<{ position: Position; edit: boolean; nonce: number }>();
  const [adding, setAdding] = useState(false);
  // Edits on their way to the server; the grid says it is busy until they land.
  const [pending, setPending] = useState(0);
  const [activeRow, setActiveRow] = useState(0);
  const [expanded, setExpanded] = useState<string | null>(null);
  const loadingMore = useRef(false);
  // Per record, the writes not answered yet, chained in order.
  const writes = useRef(new Map<string, Promise<void>>());
  // Per record, cells typed but not yet confirmed: laid over any answer that predates them.
  const unsaved = useRef(new Map<string, Map<string, Unsaved>>());
  const editCount = useRef(0);
  const overlay = useCallback((record: GridRecord): GridRecord => {
    const typed = unsaved.current.get(record.id);
    if (!typed) return record;
    const fields = { ...record.fields };
    for (const [fieldId, { value }] of typed) fields[fieldId] = value;
    return { ...record, fields };
  }, []);
  const stateRef = useRef<State | null>(null);
  stateRef.current = state;

  useEffect(() => {
    const abort = new AbortController();
    (async () => {
      try {
        const grid = await getGrid(baseId, tableId);
        if (abort.signal.aborted) return;
        setState({ table: grid.table, role: grid.role, records: grid.records, offset: grid.offset });
        if (grid.cursor) {
          void watchTable(baseId, tableId, grid.cursor, (m) => applyChange(m), abort.signal);
        }
      } catch (e) {
        if (!abort.signal.aborted) setError(describe(e));
      }
    })();
    return () => abort.abort();

    function applyChange(message: WatchTableResponse) {
      const change = message.change;
      if (!change || change.table_id !== tableId) return;
      setState((old) => {
        if (!old) return old;
        const index = old.records.findIndex((r) => r.id === change.record_id);
        const incoming = change.record
          ? overlay({ id: change.record.id, createdTime: change.record.created_time, fields: change.record.fields ?? {} })
          : null;
        if (change.kind === "CHANGE_KIND_DELETED" || (!incoming && index >= 0)) {
          return index < 0 ? old : { ...old, records: old.records.filter((_, i) => i !== index) };
        }
        if (!incoming) return old;
        if (index >= 0) {
          const records = old.records.slice();
          records[index] = incoming;
          return { ...old, records };
        }
        // A new record belongs at the end, which is on screen only once every page is loaded.
        return old.offset ? old : { ...old, records: [...old.records, incoming] };
      });
    }
  }, [baseId, tableId, overlay]);

  const onVisibleRange = useCallback(
    (_first: number, last: number) => {
      const current = stateRef.current;
      if (!current?.offset || loadingMore.current) return;
      if (last < current.records.length - PREFETCH_ROWS) return;
      loadingMore.current = true;
      const offset = current.offset;
      listRecords(baseId, tableId, offset)
        .then((page) => {
          setState((old) => {
            if (!old || old.offset !== offset) return old;
            const known = new Set(old.records.map((r) => r.id));
            return {
              ...old,
              records: [...old.records, ...page.records.filter((r) => !known.has(r.id))],
              offset: page.offset,
            };
          });
        })
        .catch((e: unknown) => setError(describe(e)))
        .finally(() => {
          loadingMore.current = false;
        });
    },
    [baseId, tableId],
  );

  const onCommit = useCallback(
    (record: GridRecord, field: Field, value: CellValue) => {
      const key = `${record.id}:${field.id}`;
      const previous = record.fields[field.id];
      const mark = ++editCount.current;
      const typed = unsaved.current.get(record.id) ?? new Map<string, Unsaved>();
      typed.set(field.id, { value, mark });
      unsaved.current.set(record.id, typed);
      const replace = (id: string, make: (r: GridRecord) => GridRecord) =>
        setState((old) => old && { ...old, records: old.records.map((r) => (r.id === id ? make(r) : r)) });
      // Still the newest edit of this cell: then its answer decides what the cell shows.
      const settle = (): boolean => {
        const latest = typed.get(field.id)?.mark === mark;
        if (latest) typed.delete(field.id);
        if (typed.size === 0 && unsaved.current.get(record.id) === typed) unsaved.current.delete(record.id);
        return latest;
      };
      // Shown at once; put back if the server refuses it.
      replace(record.id, (r) => ({ ...r, fields: { ...r.fields, [field.id]: value } }));
      setErrors((old) => {
        if (!old.has(key)) return old;
        const next = new Map(old);
        next.delete(key);
        return next;
      });
      setPending((n) => n + 1);
      const write = async () => {
        try {
          const saved = await updateRecord(baseId, tableId, record.id, { [field.id]: value });
          settle();
          replace(record.id, () => overlay(saved));
          setRefusal("");
        } catch (e) {
          const message = describe(e);
          if (settle()) replace(record.id, (r) => ({ ...r, fields: { ...r.fields, [field.id]: previous } }));
          setErrors((old) => new Map(old).set(key, message));
          setRefusal(`${field.name} was not saved: ${message}`);
        } finally {
          setPending((n) => n - 1);
        }
      };
      // One write per record at a time, in the order they were made: concurrent writes to one
      // record could be answered out of order (and the server may not merge them).
      const queued = (writes.current.get(record.id) ?? Promise.resolve()).then(write);
      writes.current.set(record.id, queued);
      void queued.then(() => {
        if (writes.current.get(record.id) === queued) writes.current.delete(record.id);
      });
    },
    [baseId, tableId, overlay],
  );

  if (error && !state) {
    return (
      <p role="alert" className="error-text">
        {error}
      </p>
    );
  }
  if (!state) return <p aria-busy="true">Loading table…</p>;

  const fields = fieldsInOrder(state.table);
  const editable = roleAtLeast(state.role, "ROLE_EDITOR");
  const canChangeSchema = roleAtLeast(state.role, "ROLE_CREATOR");

  const activeRecord = state.records[activeRow];
  const primary = fields[0];

  async function removeActiveRecord() {
    if (!activeRecord) return;
    const name = primary ? String(activeRecord.fields[primary.id] ?? "") : "";
    if (!window.confirm(`Delete the record ${name ? `"${name}"` : `in row ${activeRow + 1}`}?`)) return;
    setPending((n) => n + 1);
    try {
      await deleteRecord(baseId, tableId, activeRecord.id);
      setState((old) => old && { ...old, records: old.records.filter((r) => r.id !== activeRecord.id) });
      setRefusal("");
    } catch (e) {
      setRefusal(describe(e));
    } finally {
      setPending((n) => n - 1);
    }
  }

  async function addRecord() {
    setAdding(true);
    try {
      const record = await createRecord(baseId, tableId, {});
      const loaded = stateRef.current?.records ?? [];
      const known = loaded.findIndex((r) => r.id === record.id);
      // The live feed may have added it already.
      const row = known >= 0 ? known : loaded.length;
      setState((old) => {
        if (!old || old.records.some((r) => r.id === record.id)) return old;
        return { ...old, records: [...old.records, record] };
      });
      setRequest({ position: { row, col: 0 }, edit: true, nonce: Date.now() });
    } catch (e) {
      setRefusal(describe(e));
    } finally {
      setAdding(false);
    }
  }

  return (
    <section className="grid-view" aria-label={`Table ${state.table.name}`} aria-busy={pending > 0 || adding}>
      <div className="toolbar">
        {editable && (
          <button type="button" className="primary" onClick={addRecord} disabled={adding}>
            Add record
          </button>
        )}
        <button type="button" onClick={() => activeRecord && setExpanded(activeRecord.id)} disabled={!activeRecord}>
          Expand record
        </button>
        {editable && (
          <button type="button" onClick={removeActiveRecord} disabled={!activeRecord}>
            Delete record
          </button>
        )}
        {canChangeSchema && (
          <AddFieldForm
            onAdd={async (spec) => {
              const { table } = await createField(baseId, tableId, spec);
              setState((old) => old && { ...old, table });
            }}
          />
        )}
        <span className="muted count">
          {state.records.length}
          {state.offset ? "+ records" : state.records.length === 1 ? " record" : " records"}
        </span>
      </div>
      <p role="alert" className="error-text">
        {refusal || error}
      </p>
      <Grid
        label={state.table.name}
        fields={fields}
        records={state.records}
        hasMore={!!state.offset}
        editable={editable}
        errors={errors}
        request={request}
        onVisibleRange={onVisibleRange}
        onCommit={onCommit}
        onActiveRow={setActiveRow}
        onExpand={(record) => setExpanded(record.id)}
      />
      {expanded && (
        <RecordDialog
          baseId={baseId}
          tableId={tableId}
          recordId={expanded}
          fields={fields}
          onClose={() => setExpanded(null)}
        />
      )}
    </section>
  );
}
