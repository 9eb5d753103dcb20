// The grid: a DOM grid (role="grid", rows and gridcells, so screen readers and keyboard users
// get it for free), virtualized by hand: only the rows in view, plus a few, are in the DOM.

import { useCallback, useEffect, useId, useLayoutEffect, useRef, useState, type KeyboardEvent } from "react";
import type { CellValue, Field, GridRecord } from "../api/types";
import { CellContent, CellEditor, draftOf, displayText, editorKind, pastedValue, startsTyping, valueOf } from "./cells";
import { FieldMenuButton } from "./FieldMenu";
import type { Rows } from "./rows";
import { fromTsv, toTsv } from "./tsv";

export const ROW_HEIGHT = 33;
const HEADER_HEIGHT = 34;
const OVERSCAN = 8;
// Columns this far outside the view on either side are rendered too, for smooth side scrolls.
const OVERSCAN_PX = 320;
const NUMBER_WIDTH = 56;

function widthOf(field: Field, index: number): number {
  if (index === 0) return 220;
  return field.type === "multilineText" ? 240 : field.type === "checkbox" ? 90 : 170;
}

export interface Position {
  row: number;
  col: number;
}

/** A cell of a pasted block: its row (maybe past the last, for a new record) and value. */
export interface PastedCell {
  row: number;
  field: Field;
  value: CellValue;
}

export interface GridProps {
  label: string;
  fields: Field[];
  /** The records by position; a hole is a record not loaded yet, shown as a placeholder row. */
  records: Rows;
  /** True while how many records there are is not known yet: one "loading" row is shown. */
  hasMore: boolean;
  editable: boolean;
  /** Errors by `${recordId}:${fieldId}`, from values the server refused. */
  errors: ReadonlyMap<string, string>;
  /** Asks for a cell to become active, and optionally edited (e.g. a new record's). */
  request?: { position: Position; edit: boolean; nonce: number };
  onVisibleRange: (first: number, last: number) => void;
  onCommit: (record: GridRecord, field: Field, value: CellValue) => void;
  /** Told the active row whenever it changes. */
  onActiveRow?: (row: number) => void;
  /** Shift+Space on a row: show the whole record. */
  onExpand?: (record: GridRecord) => void;
  /** A block pasted (Ctrl/Cmd+V) at the selection, cells of read-only fields left out. */
  onPaste?: (cells: PastedCell[]) => void;
  /** Ctrl/Cmd+Z on the grid. */
  onUndo?: () => void;
  /** Given (for creators and owners), each column header gets a button opening its field menu. */
  onFieldMenu?: (field: Field) => void;
}

// Render timing for measurements (tests/web/measure_grid.py): only recorded when the page set
// window.__pyatGridMetrics to an array.
declare global {
  interface Window {
    __pyatGridMetrics?: number[];
  }
}

export function Grid(props: GridProps) {
  const { label, fields, records, hasMore, editable, errors, request, onVisibleRange, onCommit, onActiveRow, onExpand } =
    props;
  const { onPaste, onUndo, onFieldMenu } = props;
  const gridId = useId().replace(/:/g, "");
  const viewport = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [scrollLeft, setScrollLeft] = useState(0);
  const [height, setHeight] = useState(600);
  const [width, setWidth] = useState(1200);
  const [active, setActive] = useState<Position>({ row: 0, col: 0 });
  // The other corner of the selected block (Shift+arrows, Shift+click); null for one cell.
  const [anchor, setAnchor] = useState<Position | null>(null);
  const [editing, setEditing] = useState<{ initial: string } | null>(null);
  const scrolledAt = useRef<number | null>(null);

  const rowCount = records.length + (hasMore ? 1 : 0);
  const colCount = fields.length;
  const widths = fields.map(widthOf);
  const template = `${NUMBER_WIDTH}px ${widths.map((w) => `${w}px`).join(" ")}`;
  const totalWidth = NUMBER_WIDTH + widths.reduce((a, b) => a + b, 0);
  // Where each column starts, from the grid's left edge.
  const lefts: number[] = [];
  for (let c = 0, x = NUMBER_WIDTH; c < colCount; x += widths[c] ?? 0, c++) lefts.push(x);

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rowCount - 1, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN);

  useLayoutEffect(() => {
    const el = viewport.current;
    if (!el) return;
    const observer = new ResizeObserver(() => {
      setHeight(el.clientHeight - HEADER_HEIGHT);
      setWidth(el.clientWidth);
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  useLayoutEffect(() => {
    if (scrolledAt.current !== null && Array.isArray(window.__pyatGridMetrics)) {
      window.__pyatGridMetrics.push(performance.now() - scrolledAt.current);
    }
    scrolledAt.current = null;
  });

  useEffect(() => {
    onActiveRow?.(active.row);
  }, [active.row, onActiveRow]);

  useEffect(() => {
    onVisibleRange(first, last);
  }, [first, last, onVisibleRange]);

  // Keep the active cell on the grid when rows or fields go away.
  useEffect(() => {
    setActive((a) => ({
      row: Math.max(0, Math.min(a.row, records.length - 1)),
      col: Math.max(0, Math.min(a.col, colCount - 1)),
    }));
    setAnchor((a) => (a && (a.row >= records.length || a.col >= colCount) ? null : a));
  }, [records.length, colCount]);

  // The selected block: from the anchor to the active cell.
  const corner = anchor ?? active;
  const block = {
    top: Math.min(corner.row, active.row),
    bottom: Math.max(corner.row, active.row),
    left: Math.min(corner.col, active.col),
    right: Math.max(corner.col, active.col),
  };
  const inBlock = (row: number, col: number) =>
    row >= block.top && row <= block.bottom && col >= block.left && col <= block.right;

  // Copy and paste are heard on the document while the grid has focus: the browser sends them
  // to where the page's text selection is, which may be outside the grid. An open editor (the
  // focus then) keeps its own.
  const clipboard = useRef({ copy: (): string => "", paste: (_text: string): void => undefined });
  useEffect(() => {
    const onCopy = (event: ClipboardEvent) => {
      if (document.activeElement !== viewport.current || !event.clipboardData) return;
      event.preventDefault();
      event.clipboardData.setData("text/plain", clipboard.current.copy());
    };
    const onPasteEvent = (event: ClipboardEvent) => {
      if (document.activeElement !== viewport.current || !event.clipboardData) return;
      event.preventDefault();
      clipboard.current.paste(event.clipboardData.getData("text/plain"));
    };
    document.addEventListener("copy", onCopy);
    document.addEventListener("paste", onPasteEvent);
    return () => {
      document.removeEventListener("copy", onCopy);
      document.removeEventListener("paste", onPasteEvent);
    };
  }, []);

  const scrollIntoView = useCallback(
    (position: Position) => {
      const el = viewport.current;
      if (!el) return;
      const top = position.row * ROW_HEIGHT;
      if (top < el.scrollTop) el.scrollTop = top;
      else if (top + ROW_HEIGHT > el.scrollTop + el.clientHeight - HEADER_HEIGHT) {
        el.scrollTop = top + ROW_HEIGHT - (el.clientHeight - HEADER_HEIGHT);
      }
      const left = lefts[position.col] ?? NUMBER_WIDTH;
      const right = left + (widths[position.col] ?? 0);
      if (left - NUMBER_WIDTH < el.scrollLeft) el.scrollLeft = left - NUMBER_WIDTH;
      else if (right > el.scrollLeft + el.clientWidth) el.scrollLeft = right - el.clientWidth;
    },
    [widths, lefts],
  );

  const moveTo = useCallback(
    (position: Position) => {
      const row = Math.max(0, Math.min(position.row, records.length - 1));
      const col = Math.max(0, Math.min(position.col, colCount - 1));
      setActive({ row, col });
      scrollIntoView({ row, col });
    },
    [records.length, colCount, scrollIntoView],
  );

  // A request made before this grid mounted (another query's) is not for it.
  const lastNonce = useRef<number | null>(request?.nonce ?? null);
  useEffect(() => {
    if (!request || request.nonce === lastNonce.current) return;
    if (request.position.row >= records.length) return; // not loaded yet: try again when it is
    lastNonce.current = request.nonce;
    moveTo(request.position);
    const field = fields[request.position.col];
    const record = records[request.position.row];
    if (request.edit && field && record && editable && editorKind(field)) {
      setEditing({ initial: draftOf(field, record.fields[field.id]) });
    } else {
      viewport.current?.focus();
    }
  }, [request, records, fields, editable, moveTo]);

  const activeRecord = records[active.row];
  const activeField = fields[active.col];
  const canEdit = (field: Field | undefined) => editable && !!field && editorKind(field) !== null;

  function startEdit(initial?: string) {
    if (!activeRecord || !activeField) return;
    if (activeField.type === "checkbox") {
      if (editable) onCommit(activeRecord, activeField, !activeRecord.fields[activeField.id]);
      return;
    }
    if (!canEdit(activeField)) return;
    setAnchor(null);
    setEditing({ initial: initial ?? draftOf(activeField, activeRecord.fields[activeField.id]) });
  }

  function finishEdit(draft: string | null, move: "down" | "right" | "left" | "stay") {
    const kind = activeField ? editorKind(activeField) : null;
    if (draft !== null && activeRecord && activeField && kind) {
      const before = draftOf(activeField, activeRecord.fields[activeField.id]);
      if (draft !== before) onCommit(activeRecord, activeField, valueOf(activeField, kind, draft));
    }
    setEditing(null);
    if (move === "down") moveTo({ row: active.row + 1, col: active.col });
    else if (move === "right") moveTo(next(active, 1));
    else if (move === "left") moveTo(next(active, -1));
    // Back on the grid, so arrows work again (a blur elsewhere keeps focus where it went).
    if (move !== "stay") viewport.current?.focus();
  }

  /** The selected block as TSV, for Ctrl/Cmd+C. */
  function copiedText(): string {
    const lines: string[][] = [];
    for (let r = block.top; r <= block.bottom; r++) {
      const record = records[r];
      const line: string[] = [];
      for (let c = block.left; c <= block.right; c++) {
        const field = fields[c];
        line.push(record && field ? displayText(field, record.fields[field.id]) : "");
      }
      lines.push(line);
    }
    return toTsv(lines);
  }

  /** A TSV block pasted (Ctrl/Cmd+V) from the block's top left, read-only columns skipped. */
  function pasteText(text: string) {
    if (!onPaste || !editable) return;
    const cells: PastedCell[] = [];
    fromTsv(text).forEach((line, i) =>
      line.forEach((cellText, j) => {
        const field = fields[block.left + j];
        if (!field || !(canEdit(field) || field.type === "checkbox")) return;
        cells.push({ row: block.top + i, field, value: pastedValue(field, editorKind(field), cellText) });
      }),
    );
    if (cells.length) onPaste(cells);
  }

  clipboard.current = { copy: copiedText, paste: pasteText };

  function next(position: Position, step: 1 | -1): Position {
    const index = position.row * colCount + position.col + step;
    const bounded = Math.max(0, Math.min(index, records.length * colCount - 1));
    return { row: Math.floor(bounded / colCount), col: bounded % colCount };
  }

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    if (editing || event.target !== viewport.current) return;
    const page = Math.max(1, Math.floor(height / ROW_HEIGHT) - 1);
    const moves: Record<string, Position> = {
      ArrowUp: { row: active.row - 1, col: active.col },
      ArrowDown: { row: active.row + 1, col: active.col },
      ArrowLeft: { row: active.row, col: active.col - 1 },
      ArrowRight: { row: active.row, col: active.col + 1 },
      PageUp: { row: active.row - page, col: active.col },
      PageDown: { row: active.row + page, col: active.col },
      Home: event.ctrlKey ? { row: 0, col: 0 } : { row: active.row, col: 0 },
      End: event.ctrlKey ? { row: records.length - 1, col: colCount - 1 } : { row: active.row, col: colCount - 1 },
    };
    if ((event.ctrlKey || event.metaKey) && !event.shiftKey && event.key.toLowerCase() === "z") {
      event.preventDefault();
      onUndo?.();
      return;
    }
    const target = moves[event.key];
    if (target) {
      event.preventDefault();
      // Shift stretches the selected block from where it started.
      setAnchor(event.shiftKey ? (anchor ?? active) : null);
      moveTo(target);
      return;
    }
    if (event.key === "Tab") {
      setAnchor(null);
      const index = active.row * colCount + active.col + (event.shiftKey ? -1 : 1);
      // At either end of the grid, Tab leaves it as it would any other control.
      if (index < 0 || index >= records.length * colCount) return;
      event.preventDefault();
      moveTo(next(active, event.shiftKey ? -1 : 1));
      return;
    }
    if (event.key === "Enter" || event.key === "F2") {
      event.preventDefault();
      startEdit();
      return;
    }
    if (event.key === " " && event.shiftKey && activeRecord) {
      event.preventDefault();
      onExpand?.(activeRecord);
      return;
    }
    if (event.key === " " && activeField?.type === "checkbox") {
      event.preventDefault();
      startEdit();
      return;
    }
    if ((event.key === "Delete" || event.key === "Backspace") && activeRecord && activeField) {
      event.preventDefault();
      const value = activeRecord.fields[activeField.id];
      const empty = value === undefined || value === null || value === "" || value === false;
      if (canEdit(activeField) && !empty) {
        onCommit(activeRecord, activeField, activeField.type === "checkbox" ? false : null);
      }
      return;
    }
    if (activeField && canEdit(activeField) && startsTyping(event, editorKind(activeField))) {
      event.preventDefault();
      startEdit(event.key);
    }
  }

  // Only the columns in view (and the active one) are rendered; CSS grid places each cell in
  // its column, so the ones left out leave no gap.
  const columns: number[] = [];
  for (let c = 0; c < colCount; c++) {
    const left = lefts[c] ?? 0;
    const right = left + (widths[c] ?? 0);
    const inView = right >= scrollLeft - OVERSCAN_PX && left <= scrollLeft + width + OVERSCAN_PX;
    if (inView || c === active.col) columns.push(c);
  }

  const rows: number[] = [];
  for (let i = first; i <= last; i++) rows.push(i);
  // The active row stays in the DOM even when scrolled away, so aria-activedescendant and an
  // open editor always have their element.
  if (active.row < rowCount && (active.row < first || active.row > last)) rows.push(active.row);

  const cellId = (row: number, col: number) => `${gridId}-r${row}-c${col}`;
  const activeError = activeRecord && activeField ? errors.get(`${activeRecord.id}:${activeField.id}`) : undefined;

  return (
    <div className="grid-wrap">
      <div
        ref={viewport}
        className="grid"
        role="grid"
        aria-label={label}
        aria-rowcount={hasMore ? -1 : records.length + 1}
        aria-colcount={colCount}
        aria-readonly={editable ? undefined : true}
        aria-activedescendant={records.length ? cellId(active.row, active.col) : undefined}
        tabIndex={0}
        onKeyDown={onKeyDown}
        onScroll={(event) => {
          scrolledAt.current = performance.now();
          setScrollTop(event.currentTarget.scrollTop);
          setScrollLeft(event.currentTarget.scrollLeft);
        }}
      >
        <div className="grid-header" role="row" aria-rowindex={1} style={{ gridTemplateColumns: template, width: totalWidth }}>
          <div className="row-number" aria-hidden="true" />
          {columns.map((c) => fields[c] as Field).map((field, i) => (
            <div
              key={field.id}
              role="columnheader"
              aria-colindex={(columns[i] ?? 0) + 1}
              className="header-cell"
              title={field.type}
              style={{ gridColumn: (columns[i] ?? 0) + 2 }}
            >
              {field.name}
              {!canEdit(field) && field.type !== "checkbox" && <span className="muted"> (read-only)</span>}
              {onFieldMenu && <FieldMenuButton field={field} onOpen={onFieldMenu} />}
            </div>
          ))}
        </div>
        <div className="grid-body" style={{ height: rowCount * ROW_HEIGHT, width: totalWidth }}>
          {rows.map((r) => {
            const record = records[r];
            if (!record) {
              return (
                <div key={`loading-${r}`} role="row" aria-rowindex={r + 2} className="grid-row loading" style={{ top: r * ROW_HEIGHT, width: totalWidth }}>
                  <div role="gridcell" aria-colindex={1} aria-busy="true">
                    Loading…
                  </div>
                </div>
              );
            }
            return (
              <div
                key={record.id}
                role="row"
                aria-rowindex={r + 2}
                className={r === active.row ? "grid-row active-row" : "grid-row"}
                style={{ top: r * ROW_HEIGHT, gridTemplateColumns: template, width: totalWidth }}
              >
                <div className="row-number" aria-hidden="true">
                  {r + 1}
                </div>
                {columns.map((c) => {
                  const field = fields[c] as Field;
                  const isActive = r === active.row && c === active.col;
                  const selected = inBlock(r, c);
                  const error = errors.get(`${record.id}:${field.id}`);
                  const readOnly = !canEdit(field) && !(editable && field.type === "checkbox");
                  const kind = editorKind(field);
                  return (
                    <div
                      key={field.id}
                      id={cellId(r, c)}
                      role="gridcell"
                      aria-colindex={c + 1}
                      style={{ gridColumn: c + 2 }}
                      aria-selected={selected}
                      aria-readonly={readOnly || undefined}
                      aria-invalid={error ? true : undefined}
                      title={error ?? displayText(field, record.fields[field.id])}
                      className={[
                        "cell",
                        `type-${field.type}`,
                        isActive ? "active" : selected ? "selected" : "",
                        error ? "invalid" : "",
                        readOnly ? "readonly" : "",
                      ].join(" ")}
                      onMouseDown={(event) => {
                        if (isActive && editing) return;
                        event.preventDefault();
                        // An open editor keeps its value: blurring it commits, as Enter would.
                        if (editing && document.activeElement instanceof HTMLElement) {
                          document.activeElement.blur();
                        }
                        setEditing(null);
                        setAnchor(event.shiftKey ? (anchor ?? active) : null);
                        setActive({ row: r, col: c });
                        viewport.current?.focus();
                      }}
                      onDoubleClick={() => {
                        setActive({ row: r, col: c });
                        if (field.type !== "checkbox" && canEdit(field)) {
                          setEditing({ initial: draftOf(field, record.fields[field.id]) });
                        }
                      }}
                    >
                      {isActive && editing && kind ? (
                        <CellEditor
                          field={field}
                          kind={kind}
                          initial={editing.initial}
                          label={`${field.name}, row ${r + 1}`}
                          onCommit={(draft, move) => finishEdit(draft, move)}
                          onCancel={() => {
                            setEditing(null);
                            viewport.current?.focus();
                          }}
                        />
                      ) : (
                        <CellContent field={field} value={record.fields[field.id]} />
                      )}
                    </div>
                  );
                })}
              </div>
            );
          })}
        </div>
      </div>
      <p className="grid-status" role="status">
        {activeError && activeField ? `${activeField.name}: ${activeError}` : ""}
      </p>
    </div>
  );
}
