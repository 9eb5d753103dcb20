// A record expanded: every field as a control of its type, the view's hidden fields too. It
// shows the grid's own copy of the record, so the grid's edits, refusals and live changes are
// the dialog's too, and it saves through the grid's edit path (undo and errors stay one).
// A native modal <dialog>: focus stays inside it and Esc closes it.

import { useEffect, useId, useRef, useState, type KeyboardEvent } from "react";
import type { CellValue, Field, GridRecord } from "../api/types";
import { displayText } from "./cells";
import { FieldControl } from "./RecordFields";
import "./record.css";

export interface RecordDialogProps {
  /** The record as the grid holds it; undefined once it was deleted. */
  record: GridRecord | undefined;
  /** The view's fields, the primary first; then those the view hides. */
  fields: Field[];
  hiddenFields: Field[];
  editable: boolean;
  /** Refusals by `${recordId}:${fieldId}`, as the grid's cells show them. */
  errors: ReadonlyMap<string, string>;
  /** Where the record is among the grid's rows (-1 once gone), and how many rows there are. */
  position: number;
  total: number;
  onCommit: (record: GridRecord, field: Field, value: CellValue) => void;
  /** Given when there is a loaded row before / after this one. */
  onPrevious?: () => void;
  onNext?: () => void;
  onClose: () => void;
}

export function RecordDialog(props: RecordDialogProps) {
  const { record, fields, hiddenFields, editable, errors, position, total, onCommit, onPrevious, onNext, onClose } =
    props;
  const id = useId();
  const dialog = useRef<HTMLDialogElement>(null);
  // The record as last seen, to go on showing it (read-only) once it is deleted.
  const [seen, setSeen] = useState(record);
  if (record && record !== seen) setSeen(record);
  const shown = record ?? seen;

  useEffect(() => {
    const el = dialog.current;
    if (el && !el.open) el.showModal();
  }, []);

  /** Save what is being typed (its blur commits it) before another record replaces it. */
  function step(move: (() => void) | undefined) {
    if (!move) return;
    const focused = document.activeElement;
    if (focused instanceof HTMLElement && dialog.current?.contains(focused)) {
      focused.blur();
      focused.focus();
    }
    move();
  }

  function onKeyDown(event: KeyboardEvent<HTMLDialogElement>) {
    if (!(event.ctrlKey || event.metaKey) || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
    event.preventDefault();
    step(event.key === "ArrowUp" ? onPrevious : onNext);
  }

  const primary = fields[0];
  const title = (shown && primary && displayText(primary, shown.fields[primary.id])) || "Unnamed record";
  const canEdit = editable && !!record;

  function control(field: Field) {
    if (!shown) return null;
    return (
      <FieldControl
        key={field.id}
        field={field}
        recordId={shown.id}
        value={shown.fields[field.id]}
        editable={canEdit}
        error={errors.get(`${shown.id}:${field.id}`)}
        onSave={(value) => record && onCommit(record, field, value)}
      />
    );
  }

  return (
    <dialog ref={dialog} className="record-dialog" aria-labelledby={`${id}-title`} onClose={onClose} onKeyDown={onKeyDown}>
      <header className="record-header">
        <h2 id={`${id}-title`}>{title}</h2>
        {position >= 0 && (
          <span className="muted">
            Record {(position + 1).toLocaleString("en-US")} of {total.toLocaleString("en-US")}
          </span>
        )}
        {/* aria-disabled, not disabled: focus stays on a button that reached the end. */}
        <button
          type="button"
          aria-label="Previous record"
          title="Previous record (Ctrl+↑)"
          aria-disabled={!onPrevious}
          onClick={() => step(onPrevious)}
        >
          ↑
        </button>
        <button
          type="button"
          aria-label="Next record"
          title="Next record (Ctrl+↓)"
          aria-disabled={!onNext}
          onClick={() => step(onNext)}
        >
          ↓
        </button>
        <form method="dialog">
          <button type="submit" autoFocus>
            Close
          </button>
        </form>
      </header>
      {!editable && (
        <p role="note" className="muted">
          You have read-only access: you can look at this record but can't edit it.
        </p>
      )}
      {!record && (
        <p role="alert" className="error-text">
          This record was deleted.
        </p>
      )}
      <div className="record-fields">{fields.map(control)}</div>
      {hiddenFields.length > 0 && (
        <section className="record-hidden" aria-labelledby={`${id}-hidden`}>
          <h3 id={`${id}-hidden`}>Hidden fields</h3>
          <p className="muted">Hidden in this view's grid.</p>
          <div className="record-fields">{hiddenFields.map(control)}</div>
        </section>
      )}
    </dialog>
  );
}
