// A column's field menu, for creators and owners: rename and describe the field, retype it,
// edit its options, or delete it. Every change answers with the whole table, which the grid
// takes as it is.

import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { deleteField, updateField, type FieldChange } from "../api/fields";
import { describe } from "../api/errors";
import type { Field, FieldOptions, Table } from "../api/types";
import { FieldOptionsEditor, defaultOptions, optionsToSend, typeChoices } from "./FieldOptions";
import "./fields.css";

/** The header button that opens a field's menu. */
export function FieldMenuButton({ field, onOpen }: { field: Field; onOpen: (field: Field) => void }) {
  return (
    <button
      type="button"
      className="field-menu-button"
      aria-label={`${field.name} options`}
      aria-haspopup="dialog"
      onClick={() => onOpen(field)}
    >
      ▾
    </button>
  );
}

export interface FieldMenuProps {
  baseId: string;
  table: Table;
  field: Field;
  /** The table after a change (a retype's converted cells arrive on the live feed). */
  onTable: (table: Table) => void;
  onClose: () => void;
}

/** The change a save makes, or null when nothing changed. */
function changeOf(field: Field, name: string, description: string, type: string, options: FieldOptions | undefined) {
  const change: FieldChange = {};
  if (name.trim() !== field.name) change.name = name.trim();
  if (description !== (field.description ?? "")) change.description = description;
  const sent = optionsToSend(type, options);
  if (type !== field.type) {
    change.type = type;
    if (sent) change.options = sent;
  } else if (sent && JSON.stringify(sent) !== JSON.stringify(optionsToSend(type, field.options))) {
    change.options = sent;
  }
  return Object.keys(change).length ? change : null;
}

export function FieldMenu({ baseId, table, field, onTable, onClose }: FieldMenuProps) {
  const id = useId();
  const dialog = useRef<HTMLDialogElement>(null);
  const [name, setName] = useState(field.name);
  const [description, setDescription] = useState(field.description ?? "");
  const [type, setType] = useState(field.type);
  const [options, setOptions] = useState<FieldOptions | undefined>(field.options);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const primary = field.id === table.primary_field_id;

  useEffect(() => {
    const opener = document.activeElement;
    const el = dialog.current;
    if (el && !el.open) el.showModal();
    return () => {
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
    };
  }, []);

  function retype(next: string) {
    setType(next);
    // Back to its own type, a field keeps its options; another type starts from its defaults.
    setOptions(next === field.type ? field.options : defaultOptions(next));
  }

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError("");
    try {
      await action();
      onClose();
    } catch (e) {
      setError(describe(e));
    } finally {
      setBusy(false);
    }
  }

  function save(event: FormEvent) {
    event.preventDefault();
    const change = changeOf(field, name, description, type, options);
    if (!change) {
      onClose();
      return;
    }
    void run(async () => {
      const answer = await updateField(baseId, table.id, field.id, change);
      onTable(answer.table);
    });
  }

  function remove() {
    void run(async () => onTable(await deleteField(baseId, table.id, field.id)));
  }

  return (
    <dialog
      ref={dialog}
      className="field-menu"
      aria-labelledby={`${id}-title`}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <form onSubmit={save} aria-labelledby={`${id}-title`} aria-busy={busy}>
        <h2 id={`${id}-title`}>Edit field {field.name}</h2>
        <label htmlFor={`${id}-name`}>Field name</label>
        <input id={`${id}-name`} value={name} required onChange={(e) => setName(e.target.value)} autoFocus />
        <label htmlFor={`${id}-description`}>Description</label>
        <textarea id={`${id}-description`} rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />
        <label htmlFor={`${id}-type`}>Field type</label>
        <select id={`${id}-type`} value={type} onChange={(e) => retype(e.target.value)}>
          {typeChoices(field.type, primary).map(([value, text]) => (
            <option key={value} value={value}>
              {text}
            </option>
          ))}
        </select>
        {type !== field.type && (
          <p className="muted">
            Changing the type converts the values already in this field; those that cannot be converted are cleared.
          </p>
        )}
        <FieldOptionsEditor
          type={type}
          value={options}
          onChange={setOptions}
          linkLocked={field.type === "multipleRecordLinks" && type === field.type}
        />
        {error && (
          <p role="alert" className="error-text">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="submit" className="primary" disabled={busy}>
            Save field
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
      <section className="danger-zone" aria-label="Delete field">
        {primary ? (
          <p className="muted">The primary field cannot be deleted: every record is named by it.</p>
        ) : confirming ? (
          <>
            <p>Delete {field.name} and its values in every record? This cannot be undone.</p>
            <button type="button" className="danger" disabled={busy} onClick={remove}>
              Yes, delete {field.name}
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </>
        ) : (
          <button type="button" className="danger" onClick={() => setConfirming(true)}>
            Delete field
          </button>
        )}
      </section>
    </dialog>
  );
}
