// A table's grid screen: the schema and the caller's role (web-bff's GetGrid), the rows of
// the view's query by position as they come into view (rows.ts), live changes, cell edits,
// pasted blocks, undo, and a record opened from elsewhere (a search hit).

import { useCallback, useEffect, useRef, useState } from "react";
import {
  createField,
  createRecord,
  createRecords,
  deleteRecords,
  getGrid,
  getRecord,
  updateRecords,
  watchTable,
  WRITE_BATCH,
} from "../api/client";
import { ApiError, describe } from "../api/errors";
import { roleAtLeast, type CellValue, type Field, type GridRecord, type Role, type Table, type WatchTableResponse } from "../api/types";
import { rowsQuery, sameQuery, shownFields, stateOfView, type RowsQuery, type ViewState } from "../views/query";
import { ViewBar } from "../views/ViewBar";
import { Grid, type PastedCell, type Position } from "./Grid";
import { AddFieldForm } from "./AddFieldForm";
import { FieldMenu } from "./FieldMenu";
import { LinksScope } from "./LinkPicker";
import { RecordDialog } from "./RecordDialog";
import { RowLoader, type Rows } from "./rows";

// How many edits Ctrl/Cmd+Z can take back.
const UNDO_DEPTH = 100;

interface Unsaved {
  value: CellValue;
  /** Which edit this was, to tell the newest edit of a cell from older ones. */
  mark: number;
}

interface State {
  table: Table;
  role: Role;
}

/** One cell set to a value, with the value it had, to put back on a refusal or an undo. */
interface CellChange {
  recordId: string;
  field: Field;
  value: CellValue;
  previous: CellValue;
}

/** What one Ctrl/Cmd+Z takes back: cells set, and records a paste created. */
interface UndoStep {
  what: string;
  cells: CellChange[];
  created: string[];
}

/** The same rows, said the simplest way: a saved view without a filter or sorts shows the
 * table's records in their own order, as a query without a view does. */
function plainly(query: RowsQuery, table: Table): RowsQuery {
  const view = table.views?.find((v) => v.id === query.view);
  return view && !view.filter_by_formula && !view.sorts?.length ? { ...query, view: "" } : query;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A refusal of the values sent (not a failure to reach the server). */
function refused(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 400 || error.status === 422);
}

function fieldsInOrder(table: Table): Field[] {
  const primary = table.fields.find((f) => f.id === table.primary_field_id);
  return primary ? [primary, ...table.fields.filter((f) => f !== primary)] : table.fields;
}

export interface GridViewProps {
  baseId: string;
  tableId: string;
  /** What to show (the view bar's state): rows of its query, its fields. All when absent. */
  viewState?: ViewState;
  /** Told the table (its schema and views) when loaded and when a field is added. */
  onTable?: (table: Table) => void;
  /** A record to expand once the grid is loaded, loaded or not among its rows. */
  openRecord?: string;
  /** Told once `openRecord` is expanded. */
  onRecordOpened?: () => void;
}

export function GridView({
  baseId,
  tableId,
  viewState: startState,
  onTable,
  openRecord,
  onRecordOpened,
}: GridViewProps) {
  const [state, setState] = useState<State | null>(null);
  // The view bar's: set to the table's first view once it is known, unless given.
  const [viewState, setViewState] = useState(startState);
  // Null until the rows' query has answered how many rows it has.
  const [rows, setRows] = useState<Rows | null>(null);
  const [undoSteps, setUndoSteps] = useState<UndoStep[]>([]);
  const [error, setError] = useState("");
  const [refusal, setRefusal] = useState("");
  const [errors, setErrors] = useState<ReadonlyMap<string, string>>(new Map());
  const [request, setRequest] = useState<{ position: Position; edit: boolean; nonce: number }>();
  const [adding, setAdding] = useState(false);
  // Edits on their way to the server; the grid says it is busy until they land.
  const [pending, setPending] = useState(0);
  const [activeRow, setActiveRow] = useState(0);
  const [expanded, setExpanded] = useState<string | null>(null);
  // The expanded record when it is not among the loaded rows (not reached yet, or outside the
  // view's filter), kept current like a row.
  const [outside, setOutside] = useState<GridRecord | null>(null);
  // The id of a record being fetched to be expanded: its dialog waits for it.
  const [fetching, setFetching] = useState<string | null>(null);
  const [menuFieldId, setMenuFieldId] = useState<string | null>(null);
  const loader = useRef<RowLoader | null>(null);
  const visible = useRef({ first: 0, last: 0 });
  // GetGrid's first page, for the rows' first query when it is that page's.
  const firstPage = useRef<{ query: RowsQuery; table: Table; records: GridRecord[]; total: number } | null>(null);
  const initialView = useRef(viewState?.viewId ?? "");
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
  const rowsRef = useRef<Rows>([]);
  rowsRef.current = rows ?? [];
  /** Change the grid's copy of a record, and the dialog's when it shows one from outside. */
  const updateCopy = useCallback((recordId: string, make: (record: GridRecord) => GridRecord) => {
    loader.current?.update(recordId, make);
    setOutside((old) => (old?.id === recordId ? make(old) : old));
  }, []);

  useEffect(() => {
    const abort = new AbortController();
    (async () => {
      try {
        const view = initialView.current;
        const grid = await getGrid(baseId, tableId, view);
        if (abort.signal.aborted) return;
        firstPage.current = {
          query: { view, filterByFormula: "", sort: [] },
          table: grid.table,
          records: grid.records,
          total: grid.total,
        };
        // The table's first view, unless the screen was opened on another.
        setViewState((old) => old ?? stateOfView(grid.table.views?.[0]));
        setState({ table: grid.table, role: grid.role });
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
      const rowsNow = loader.current;
      if (!change || change.table_id !== tableId || !rowsNow) return;
      const incoming = change.record
        ? overlay({ id: change.record.id, createdTime: change.record.created_time, fields: change.record.fields ?? {} })
        : null;
      if (change.kind === "CHANGE_KIND_DELETED" || !incoming) {
        rowsNow.remove(change.record_id);
        setOutside((old) => (old?.id === change.record_id ? null : old));
        return;
      }
      setOutside((old) => (old?.id === incoming.id ? incoming : old));
      if (!rowsNow.update(incoming.id, () => incoming) && change.kind === "CHANGE_KIND_CREATED") {
        rowsNow.append(incoming);
      }
    }
  }, [baseId, tableId, overlay]);

  useEffect(() => {
    if (state) onTable?.(state.table);
  }, [state, onTable]);

  // The rows' query, as text: a new one starts again from row 0.
  const queryKey = state ? JSON.stringify(rowsQuery(viewState ?? stateOfView(undefined))) : "";
  useEffect(() => {
    if (!queryKey) return;
    const query = JSON.parse(queryKey) as RowsQuery;
    const next = new RowLoader(baseId, tableId, query, setRows, setError);
    loader.current = next;
    // An error of the last query's (a filter that did not parse, say) is not this one's.
    setError("");
    const first = firstPage.current;
    firstPage.current = null;
    if (first && sameQuery(plainly(first.query, first.table), plainly(query, first.table))) {
      next.seed(first.records, first.total);
    } else {
      setRows(null);
    }
    next.show(visible.current.first, visible.current.last);
    return () => next.close();
  }, [baseId, tableId, queryKey]);

  const onVisibleRange = useCallback((first: number, last: number) => {
    visible.current = { first, last };
    loader.current?.show(first, last);
  }, []);

  /** Set cells, shown at once: up to WRITE_BATCH records a request, each record's writes in the
   * order they were made; a refused cell goes back to its value and says why. */
  const commitCells = useCallback(
    (changes: CellChange[]) => {
      if (!changes.length) return;
      const setCell = (recordId: string, fieldId: string, value: CellValue) =>
        updateCopy(recordId, (r) => ({ ...r, fields: { ...r.fields, [fieldId]: value } }));
      const marked = changes.map((change) => {
        const typed = unsaved.current.get(change.recordId) ?? new Map<string, Unsaved>();
        const mark = ++editCount.current;
        typed.set(change.field.id, { value: change.value, mark });
        unsaved.current.set(change.recordId, typed);
        setCell(change.recordId, change.field.id, change.value);
        return { ...change, typed, mark };
      });
      type Marked = (typeof marked)[number];
      setErrors((old) => {
        const next = new Map(old);
        for (const c of changes) next.delete(`${c.recordId}:${c.field.id}`);
        return next.size === old.size ? old : next;
      });
      // Still the newest edit of this cell: then its answer decides what the cell shows.
      const settle = (c: Marked): boolean => {
        const latest = c.typed.get(c.field.id)?.mark === c.mark;
        if (latest) c.typed.delete(c.field.id);
        if (c.typed.size === 0 && unsaved.current.get(c.recordId) === c.typed) unsaved.current.delete(c.recordId);
        return latest;
      };
      const save = async (batch: Marked[]): Promise<void> => {
        const byRecord = new Map<string, Record<string, CellValue>>();
        // An empty cell's value is missing: null clears it (JSON leaves undefined out).
        for (const c of batch) byRecord.set(c.recordId, { ...byRecord.get(c.recordId), [c.field.id]: c.value ?? null });
        try {
          const saved = await updateRecords(
            baseId,
            tableId,
            [...byRecord].map(([id, fields]) => ({ id, fields })),
          );
          batch.forEach(settle);
          for (const record of saved) updateCopy(record.id, () => overlay(record));
          setRefusal("");
        } catch (e) {
          // A request is taken whole or not at all: one cell at a time tells which were refused.
          if (batch.length > 1 && refused(e)) {
            for (const c of batch) await save([c]);
            return;
          }
          const message = describe(e);
          for (const c of batch) {
            if (settle(c)) setCell(c.recordId, c.field.id, c.previous);
            setErrors((old) => new Map(old).set(`${c.recordId}:${c.field.id}`, message));
            setRefusal(`${c.field.name} was not saved: ${message}`);
          }
        }
      };
      const recordIds = [...new Set(marked.map((c) => c.recordId))];
      for (const ids of chunks(recordIds, WRITE_BATCH)) {
        const batch = marked.filter((c) => ids.includes(c.recordId));
        setPending((n) => n + 1);
        // A record's writes go one at a time, in the order they were made: concurrent writes to
        // one record could be answered out of order (and the server may not merge them).
        const queued = Promise.all(ids.map((id) => writes.current.get(id)))
          .then(() => save(batch))
          .finally(() => setPending((n) => n - 1));
        for (const id of ids) writes.current.set(id, queued);
        void queued.then(() => {
          for (const id of ids) if (writes.current.get(id) === queued) writes.current.delete(id);
        });
      }
    },
    [baseId, tableId, overlay, updateCopy],
  );

  const remember = useCallback((step: UndoStep) => {
    setUndoSteps((old) => [...old.slice(1 - UNDO_DEPTH), step]);
  }, []);

  const onCommit = useCallback(
    (record: GridRecord, field: Field, value: CellValue) => {
      const change = { recordId: record.id, field, value, previous: record.fields[field.id] };
      commitCells([change]);
      remember({ what: `edit of ${field.name}`, cells: [change], created: [] });
    },
    [commitCells, remember],
  );

  /** New records for a paste's rows past the end, WRITE_BATCH a request; a refused batch is
   * created empty and its cells set one by one, so that each refusal shows on its cell. */
  const createRows = useCallback(
    async (rowsOfFields: { field: Field; value: CellValue }[][]): Promise<string[]> => {
      const created: string[] = [];
      for (const batch of chunks(rowsOfFields, WRITE_BATCH)) {
        const cellsOf = (cells: { field: Field; value: CellValue }[]) =>
          Object.fromEntries(cells.map((c) => [c.field.id, c.value]));
        try {
          const records = await createRecords(baseId, tableId, batch.map(cellsOf));
          for (const record of records) loader.current?.append(record);
          created.push(...records.map((r) => r.id));
        } catch (e) {
          if (!refused(e)) throw e;
          const records = await createRecords(baseId, tableId, batch.map(() => ({})));
          for (const record of records) loader.current?.append(record);
          created.push(...records.map((r) => r.id));
          commitCells(
            records.flatMap((record, i) =>
              (batch[i] ?? []).map((c) => ({ recordId: record.id, field: c.field, value: c.value, previous: null })),
            ),
          );
        }
      }
      return created;
    },
    [baseId, tableId, commitCells],
  );

  const onPaste = useCallback(
    async (cells: PastedCell[]) => {
      const loaded = rowsRef.current;
      const changes: CellChange[] = [];
      const newRows = new Map<number, { field: Field; value: CellValue }[]>();
      for (const cell of cells) {
        if (cell.row >= loaded.length) {
          newRows.set(cell.row, [...(newRows.get(cell.row) ?? []), { field: cell.field, value: cell.value }]);
          continue;
        }
        const record = loaded[cell.row];
        if (record) {
          changes.push({ recordId: record.id, field: cell.field, value: cell.value, previous: record.fields[cell.field.id] });
        }
      }
      commitCells(changes);
      setPending((n) => n + 1);
      try {
        const created = await createRows([...newRows.keys()].sort((a, b) => a - b).map((row) => newRows.get(row) ?? []));
        remember({ what: `paste of ${cells.length} cells`, cells: changes, created });
      } catch (e) {
        remember({ what: `paste of ${cells.length} cells`, cells: changes, created: [] });
        setRefusal(`New rows were not created: ${describe(e)}`);
      } finally {
        setPending((n) => n - 1);
      }
    },
    [commitCells, createRows, remember],
  );

  const undo = useCallback(async () => {
    const step = undoSteps[undoSteps.length - 1];
    if (!step) return;
    setUndoSteps((old) => old.slice(0, -1));
    commitCells(step.cells.map((c) => ({ ...c, value: c.previous, previous: c.value })));
    if (!step.created.length) return;
    setPending((n) => n + 1);
    try {
      for (const ids of chunks(step.created, WRITE_BATCH)) {
        await deleteRecords(baseId, tableId, ids);
        for (const id of ids) loader.current?.remove(id);
      }
    } catch (e) {
      setRefusal(`Undo did not remove the new rows: ${describe(e)}`);
    } finally {
      setPending((n) => n - 1);
    }
  }, [undoSteps, commitCells, baseId, tableId]);

  // A record asked for from elsewhere: expanded from the rows when it is loaded, else once
  // fetched (not cancelled when the ask is cleared: the answer is told apart by its id).
  const loaded = state !== null;
  useEffect(() => {
    if (!openRecord || !loaded) return;
    setExpanded(openRecord);
    onRecordOpened?.();
    if ((loader.current?.positionOf(openRecord) ?? -1) >= 0) return;
    setFetching(openRecord);
    getRecord(baseId, tableId, openRecord)
      .then(
        (record) => setOutside(overlay(record)),
        (e: unknown) => {
          setExpanded((shown) => (shown === openRecord ? null : shown));
          setRefusal(`That record could not be opened: ${describe(e)}`);
        },
      )
      .finally(() => setFetching((id) => (id === openRecord ? null : id)));
  }, [openRecord, loaded, onRecordOpened, baseId, tableId, overlay]);

  if (error && !state) {
    return (
      <p role="alert" className="error-text">
        {error}
      </p>
    );
  }
  if (!state) return <p aria-busy="true">Loading table…</p>;

  const fields = shownFields(viewState ?? stateOfView(undefined), fieldsInOrder(state.table));
  const records = rows ?? [];
  const lastStep = undoSteps[undoSteps.length - 1];
  const editable = roleAtLeast(state.role, "ROLE_EDITOR");
  const canChangeSchema = roleAtLeast(state.role, "ROLE_CREATOR");

  const activeRecord = records[activeRow];
  const menuField = state.table.fields.find((f) => f.id === menuFieldId);
  const primary = fields[0];
  // The expanded record's row, and its loaded neighbours for the dialog's previous and next.
  const expandedAt = expanded ? records.findIndex((r) => r?.id === expanded) : -1;
  const previousRecord = expandedAt > 0 ? records[expandedAt - 1] : undefined;
  const nextRecord = expandedAt >= 0 ? records[expandedAt + 1] : undefined;

  async function removeActiveRecord() {
    if (!activeRecord) return;
    const name = primary ? String(activeRecord.fields[primary.id] ?? "") : "";
    if (!window.confirm(`Delete the record ${name ? `"${name}"` : `in row ${activeRow + 1}`}?`)) return;
    setPending((n) => n + 1);
    try {
      await deleteRecords(baseId, tableId, [activeRecord.id]);
      loader.current?.remove(activeRecord.id);
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
      // Once only, even when the live feed brought it first.
      loader.current?.append(record);
      const row = loader.current?.positionOf(record.id) ?? -1;
      if (row >= 0) setRequest({ position: { row, col: 0 }, edit: true, nonce: Date.now() });
    } catch (e) {
      setRefusal(describe(e));
    } finally {
      setAdding(false);
    }
  }

  return (
    <section className="grid-view" aria-label={`Table ${state.table.name}`} aria-busy={pending > 0 || adding}>
      <LinksScope baseId={baseId}>
        <ViewBar
          baseId={baseId}
          tableId={tableId}
          table={state.table}
          role={state.role}
          state={viewState ?? stateOfView(undefined)}
          onChange={setViewState}
          onTable={(table) => setState((old) => old && { ...old, table })}
        />
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
          {editable && (
            <button
              type="button"
              onClick={() => void undo()}
              disabled={!lastStep}
              aria-label={lastStep ? `Undo ${lastStep.what}` : "Undo"}
              title={lastStep ? `Undo ${lastStep.what} (Ctrl+Z)` : "Nothing to undo"}
            >
              Undo
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
            {rows && `${rows.length.toLocaleString("en-US")} ${rows.length === 1 ? "record" : "records"}`}
          </span>
        </div>
        <p role="alert" className="error-text">
          {refusal || error}
        </p>
        <Grid
          label={state.table.name}
          fields={fields}
          key={queryKey}
          records={records}
          hasMore={rows === null}
          editable={editable}
          errors={errors}
          request={request}
          onVisibleRange={onVisibleRange}
          onCommit={onCommit}
          onActiveRow={setActiveRow}
          onExpand={(record) => setExpanded(record.id)}
          onPaste={(cells) => void onPaste(cells)}
          onUndo={() => void undo()}
          onFieldMenu={canChangeSchema ? (field) => setMenuFieldId(field.id) : undefined}
        />
        {expanded && expanded !== fetching && (
          <RecordDialog
            record={records[expandedAt] ?? (outside?.id === expanded ? outside : undefined)}
            fields={fields}
            hiddenFields={fieldsInOrder(state.table).filter((f) => !fields.includes(f))}
            editable={editable}
            errors={errors}
            position={expandedAt}
            total={records.length}
            onCommit={onCommit}
            onPrevious={previousRecord && (() => setExpanded(previousRecord.id))}
            onNext={nextRecord && (() => setExpanded(nextRecord.id))}
            onClose={() => {
              setExpanded(null);
              setOutside(null);
            }}
          />
        )}
        {menuField && (
          <FieldMenu
            baseId={baseId}
            table={state.table}
            field={menuField}
            onTable={(table) => setState((old) => old && { ...old, table })}
            onClose={() => setMenuFieldId(null)}
          />
        )}
      </LinksScope>
    </section>
  );
}
