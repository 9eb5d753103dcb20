// The field types the app offers and the editor of each type's options (choices and their
// colours, precision, currency symbol, formula, linked table, rating scale), shared by the
// add-field form and the field menu.

import { useEffect, useId, useRef, useState, type KeyboardEvent } from "react";
import { describe } from "../api/errors";
import type { Choice, FieldOptions, Table } from "../api/types";
import { useLinks } from "./links";
import "./fields.css";

export const FIELD_TYPES: [string, string][] = [
  ["singleLineText", "Single line text"],
  ["multilineText", "Long text"],
  ["number", "Number"],
  ["currency", "Currency"],
  ["percent", "Percent"],
  ["rating", "Rating"],
  ["checkbox", "Checkbox"],
  ["singleSelect", "Single select"],
  ["multipleSelects", "Multiple select"],
  ["date", "Date"],
  ["dateTime", "Date and time"],
  ["email", "Email"],
  ["url", "URL"],
  ["phoneNumber", "Phone number"],
  ["formula", "Formula"],
  ["multipleRecordLinks", "Link to another record"],
];

// Types a table's primary field cannot have, as schema-service says.
const NOT_PRIMARY = new Set(["multipleRecordLinks", "multipleAttachments", "checkbox", "button"]);

/** The types to offer for a field; `current` stays offered even when the app has no editor
 * for it (a rollup, say), so that the choice shows what the field is. */
export function typeChoices(current: string, primary: boolean): [string, string][] {
  const offered = FIELD_TYPES.filter(([type]) => !primary || !NOT_PRIMARY.has(type));
  return offered.some(([type]) => type === current) || !current ? offered : [[current, current], ...offered];
}

const HUES = ["blue", "cyan", "teal", "green", "yellow", "orange", "red", "pink", "purple", "gray"];
const SHADES: [string, string][] = [
  ["Light2", "lightest"],
  ["Light1", "light"],
  ["Bright", "bright"],
  ["Dark1", "dark"],
];

/** Airtable's choice colours ("blueLight2", "redBright", ...) with a name for people. */
const CHOICE_COLORS: [string, string][] = SHADES.flatMap(([shade, shadeName]) =>
  HUES.map((hue): [string, string] => [`${hue}${shade}`, `${hue[0]?.toUpperCase()}${hue.slice(1)}, ${shadeName}`]),
);

/** The options a field of `type` starts with; undefined for types without options here. */
export function defaultOptions(type: string): FieldOptions | undefined {
  switch (type) {
    case "singleSelect":
    case "multipleSelects":
      return { choices: [] };
    case "number":
    case "percent":
      return { precision: 0 };
    case "currency":
      return { precision: 2, symbol: "$" };
    case "rating":
      return { max: 5 };
    case "formula":
      return { formula: "" };
    case "multipleRecordLinks":
      return { linkedTableId: "" };
    default:
      return undefined;
  }
}

/** The options to send for a field of `type`: the editable ones the editor shows. */
export function optionsToSend(type: string, options: FieldOptions | undefined): FieldOptions | undefined {
  const o = options ?? {};
  switch (type) {
    case "singleSelect":
    case "multipleSelects":
      return {
        choices: (o.choices ?? [])
          .filter((c) => c.name.trim())
          .map((c) => ({ ...(c.id ? { id: c.id } : {}), name: c.name.trim(), ...(c.color ? { color: c.color } : {}) })),
      };
    case "number":
    case "percent":
      return { precision: o.precision ?? 0 };
    case "currency":
      return { precision: o.precision ?? 2, symbol: String(o.symbol ?? "$") };
    case "rating":
      return { ...o, max: Number(o.max ?? 5) };
    case "formula":
      return { formula: o.formula ?? "" };
    case "multipleRecordLinks":
      return { linkedTableId: String(o.linkedTableId ?? "") };
    default:
      return undefined;
  }
}

export interface FieldOptionsProps {
  type: string;
  value: FieldOptions | undefined;
  onChange: (options: FieldOptions) => void;
  /** An existing link keeps its table (schema-service refuses to change it). */
  linkLocked?: boolean;
}

export function FieldOptionsEditor({ type, value, onChange, linkLocked = false }: FieldOptionsProps) {
  const id = useId();
  const options = value ?? defaultOptions(type) ?? {};
  const set = (change: FieldOptions) => onChange({ ...options, ...change });

  if (type === "singleSelect" || type === "multipleSelects") {
    return <ChoicesEditor choices={options.choices ?? []} onChange={(choices) => set({ choices })} />;
  }
  if (type === "number" || type === "percent" || type === "currency") {
    const most = type === "currency" ? 7 : 8;
    const precision = Number(options.precision ?? (type === "currency" ? 2 : 0));
    return (
      <div className="field-options">
        <label htmlFor={`${id}-precision`}>Decimal places</label>
        <select id={`${id}-precision`} value={precision} onChange={(e) => set({ precision: Number(e.target.value) })}>
          {Array.from({ length: most + 1 }, (_, n) => (
            <option key={n} value={n}>
              {n === 0 ? "1" : `1.${"0".repeat(n)}`}
            </option>
          ))}
        </select>
        {type === "currency" && (
          <>
            <label htmlFor={`${id}-symbol`}>Currency symbol</label>
            <input
              id={`${id}-symbol`}
              className="symbol"
              value={String(options.symbol ?? "$")}
              maxLength={5}
              onChange={(e) => set({ symbol: e.target.value })}
            />
          </>
        )}
      </div>
    );
  }
  if (type === "rating") {
    return (
      <div className="field-options">
        <label htmlFor={`${id}-max`}>Maximum rating</label>
        <select id={`${id}-max`} value={Number(options.max ?? 5)} onChange={(e) => set({ max: Number(e.target.value) })}>
          {Array.from({ length: 10 }, (_, n) => (
            <option key={n} value={n + 1}>
              {n + 1}
            </option>
          ))}
        </select>
      </div>
    );
  }
  if (type === "formula") {
    return (
      <div className="field-options">
        <label htmlFor={`${id}-formula`}>Formula</label>
        <textarea
          id={`${id}-formula`}
          rows={2}
          spellCheck={false}
          value={options.formula ?? ""}
          onChange={(e) => set({ formula: e.target.value })}
        />
      </div>
    );
  }
  if (type === "multipleRecordLinks") {
    return (
      <LinkedTableChoice
        value={String(options.linkedTableId ?? "")}
        locked={linkLocked}
        onChange={(linkedTableId) => set({ linkedTableId })}
      />
    );
  }
  return null;
}

function LinkedTableChoice({
  value,
  locked,
  onChange,
}: {
  value: string;
  locked: boolean;
  onChange: (tableId: string) => void;
}) {
  const id = useId();
  const links = useLinks();
  const [tables, setTables] = useState<Table[] | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    if (!links) return;
    let live = true;
    links.tablesOfBase(true).then(
      (found) => live && setTables(found),
      (e: unknown) => live && setError(describe(e)),
    );
    return () => {
      live = false;
    };
  }, [links]);

  return (
    <div className="field-options">
      <label htmlFor={`${id}-table`}>Linked table</label>
      <select
        id={`${id}-table`}
        value={value}
        disabled={locked || !tables}
        aria-busy={!tables && !error}
        onChange={(e) => onChange(e.target.value)}
      >
        <option value="">{tables ? "Choose a table" : "Loading tables…"}</option>
        {(tables ?? []).map((t) => (
          <option key={t.id} value={t.id}>
            {t.name}
          </option>
        ))}
      </select>
      {locked && <span className="muted">A link keeps its table: add a new link field for another.</span>}
      {error && (
        <span role="alert" className="error-text">
          {error}
        </span>
      )}
    </div>
  );
}

/** A select's choices: each with a name and a colour, removable, and a box to add more. */
function ChoicesEditor({ choices, onChange }: { choices: Choice[]; onChange: (choices: Choice[]) => void }) {
  const id = useId();
  const [adding, setAdding] = useState("");
  // The choices at the end of `choices` that come from the box as typed so far. They count at
  // once, so a form submitted straight from the box keeps them, and nothing moves on leaving it
  // (a click on a button that moved would be lost).
  const typed = useRef(0);
  typed.current = Math.min(typed.current, choices.length);
  const kept = choices.slice(0, choices.length - typed.current);

  function type(text: string) {
    setAdding(text);
    const known = new Set(kept.map((c) => c.name));
    const names = text.split(",").map((n) => n.trim()).filter(Boolean);
    const fresh = names.filter((n, i) => !known.has(n) && names.indexOf(n) === i);
    typed.current = fresh.length;
    onChange([...kept, ...fresh.map((name) => ({ name }))]);
  }

  /** The box's choices stay; the box empties for more. */
  function addTyped() {
    typed.current = 0;
    setAdding("");
  }

  function onAddKey(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key !== "Enter") return;
    // Enter adds the choices rather than submitting the whole form half done.
    if (adding.trim()) {
      event.preventDefault();
      addTyped();
    }
  }

  const update = (index: number, change: Partial<Choice>) =>
    onChange(choices.map((c, i) => (i === index ? { ...c, ...change } : c)));
  const remove = (index: number) => {
    if (index >= kept.length) typed.current -= 1;
    onChange(choices.filter((_, j) => j !== index));
  };

  return (
    <fieldset className="field-options choices">
      <legend>Choices</legend>
      <ul>
        {choices.map((choice, i) => (
          <li key={choice.id ?? `new-${i}`}>
            <span className="swatch" data-color={choice.color} aria-hidden="true" />
            <input
              aria-label={`Choice ${i + 1} name`}
              value={choice.name}
              onChange={(e) => update(i, { name: e.target.value })}
            />
            <select
              aria-label={`Colour of ${choice.name || `choice ${i + 1}`}`}
              value={choice.color ?? ""}
              onChange={(e) => update(i, { color: e.target.value || undefined })}
            >
              <option value="">Automatic</option>
              {CHOICE_COLORS.map(([color, name]) => (
                <option key={color} value={color}>
                  {name}
                </option>
              ))}
            </select>
            <button
              type="button"
              aria-label={`Remove ${choice.name || `choice ${i + 1}`}`}
              onClick={() => remove(i)}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      <div className="add-choices">
        <label htmlFor={`${id}-add`}>New choices (comma-separated)</label>
        <input
          id={`${id}-add`}
          value={adding}
          onChange={(e) => type(e.target.value)}
          onKeyDown={onAddKey}
        />
        <button type="button" onClick={addTyped}>
          Add choice
        </button>
      </div>
    </fieldset>
  );
}
