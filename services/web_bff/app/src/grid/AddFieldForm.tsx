// Adds a column: a name, one of the types the grid edits, and choices for a select.

import { useId, useState, type FormEvent } from "react";
import { describe } from "../api/errors";
import type { FieldSpec } from "../api/types";

const TYPES: [string, string][] = [
  ["singleLineText", "Single line text"],
  ["multilineText", "Long text"],
  ["number", "Number"],
  ["checkbox", "Checkbox"],
  ["singleSelect", "Single select"],
  ["multipleSelects", "Multiple select"],
  ["date", "Date"],
  ["email", "Email"],
  ["url", "URL"],
  ["formula", "Formula"],
];

export function AddFieldForm({ onAdd }: { onAdd: (spec: FieldSpec) => Promise<void> }) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState("");
  const [type, setType] = useState("singleLineText");
  const [choices, setChoices] = useState("");
  const [formula, setFormula] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError("");
    try {
      const spec: FieldSpec = { name: name.trim(), type };
      if (type === "singleSelect" || type === "multipleSelects") {
        const names = choices.split(",").map((c) => c.trim()).filter(Boolean);
        spec.options = { choices: names.map((n) => ({ name: n })) };
      } else if (type === "formula") {
        spec.options = { formula };
      }
      await onAdd(spec);
      setName("");
      setChoices("");
      setFormula("");
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
      <select id={`${id}-type`} value={type} onChange={(e) => setType(e.target.value)}>
        {TYPES.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
      {(type === "singleSelect" || type === "multipleSelects") && (
        <>
          <label htmlFor={`${id}-choices`}>Choices (comma-separated)</label>
          <input id={`${id}-choices`} value={choices} onChange={(e) => setChoices(e.target.value)} />
        </>
      )}
      {type === "formula" && (
        <>
          <label htmlFor={`${id}-formula`}>Formula</label>
          <input id={`${id}-formula`} value={formula} onChange={(e) => setFormula(e.target.value)} />
        </>
      )}
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
