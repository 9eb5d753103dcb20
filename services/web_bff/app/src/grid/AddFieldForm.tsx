// Adds a column: a name, a type, and the options that type needs (FieldOptions' editor).

import { useId, useState, type FormEvent } from "react";
import { describe } from "../api/errors";
import type { FieldOptions, FieldSpec } from "../api/types";
import { FIELD_TYPES, FieldOptionsEditor, optionsToSend } from "./FieldOptions";

export function AddFieldForm({ onAdd }: { onAdd: (spec: FieldSpec) => Promise<void> }) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState("");
  const [type, setType] = useState("singleLineText");
  const [options, setOptions] = useState<FieldOptions | undefined>();
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError("");
    try {
      const spec: FieldSpec = { name: name.trim(), type };
      const sent = optionsToSend(type, options);
      if (sent) spec.options = sent;
      await onAdd(spec);
      setName("");
      setOptions(undefined);
      setOpen(false);
    } catch (e) {
      setError(describe(e));
    } finally {
      setBusy(false);
    }
  }

  if (!open) {
    return (
      <button type="button" onClick={() => setOpen(true)}>
        Add field
      </button>
    );
  }
  return (
    <form className="add-field" onSubmit={submit} aria-label="Add field">
      <label htmlFor={`${id}-name`}>Field name</label>
      <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} autoFocus />
      <label htmlFor={`${id}-type`}>Field type</label>
      <select
        id={`${id}-type`}
        value={type}
        onChange={(e) => {
          setType(e.target.value);
          setOptions(undefined);
        }}
      >
        {FIELD_TYPES.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
      <FieldOptionsEditor type={type} value={options} onChange={setOptions} />
      <button type="submit" className="primary" disabled={busy}>
        Create field
      </button>
      <button type="button" onClick={() => setOpen(false)}>
        Cancel
      </button>
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
    </form>
  );
}
