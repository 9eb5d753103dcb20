// A one-field form that creates something by name, with its label and its error.

import { useId, useState, type FormEvent } from "react";
import { describe } from "../api/errors";

export function CreateForm({
  label,
  button,
  onCreate,
}: {
  label: string;
  button: string;
  onCreate: (name: string) => Promise<void>;
}) {
  const [name, setName] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const id = useId();

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) {
      setError(`${label} is required.`);
      return;
    }
    setBusy(true);
    setError("");
    try {
      await onCreate(name.trim());
      setName("");
    } catch (e) {
      setError(describe(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="create-form" onSubmit={submit} noValidate>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        value={name}
        onChange={(e) => setName(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
      />
      <button type="submit" disabled={busy}>
        {button}
      </button>
      {error && (
        <p id={`${id}-error`} role="alert" className="error-text">
          {error}
        </p>
      )}
    </form>
  );
}
