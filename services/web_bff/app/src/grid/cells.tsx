// How each field type shows a value, and the editor for each type the grid can edit.

import { useLayoutEffect, useRef, useState, type KeyboardEvent } from "react";
import type { CellValue, Field } from "../api/types";
import { LinkChips, LinkPicker } from "./LinkPicker";
import { linkIds } from "./links";

// Airtable's types whose values the platform computes: never edited in a cell.
const COMPUTED = new Set([
  "formula",
  "rollup",
  "multipleLookupValues",
  "count",
  "autoNumber",
  "createdTime",
  "lastModifiedTime",
  "createdBy",
  "lastModifiedBy",
  "button",
]);

const TEXT = new Set(["singleLineText", "email", "url", "phoneNumber"]);
const NUMERIC = new Set(["number", "currency", "percent", "rating", "duration"]);

export type EditorKind = "text" | "multiline" | "number" | "select" | "multiSelect" | "date" | "dateTime" | "links";

/** The editor a field gets in the grid, or null when its cells are read-only here. */
export function editorKind(field: Field): EditorKind | null {
  if (COMPUTED.has(field.type)) return null;
  if (TEXT.has(field.type)) return "text";
  if (field.type === "multilineText") return "multiline";
  if (NUMERIC.has(field.type)) return "number";
  if (field.type === "singleSelect") return "select";
  if (field.type === "multipleSelects") return "multiSelect";
  if (field.type === "date") return "date";
  if (field.type === "dateTime") return "dateTime";
  if (field.type === "multipleRecordLinks") return "links";
  return null;
}

export function isComputed(field: Field): boolean {
  return COMPUTED.has(field.type);
}

/** Whether a key press should start editing with the key as the new content. */
export function startsTyping(event: KeyboardEvent, kind: EditorKind | null): boolean {
  return (
    (kind === "text" || kind === "multiline" || kind === "number") &&
    event.key.length === 1 &&
    !event.ctrlKey &&
    !event.metaKey &&
    !event.altKey
  );
}

function precisionOf(field: Field): number | undefined {
  const p = field.options?.precision;
  return typeof p === "number" ? p : undefined;
}

/** A cell's value as text, the way the grid shows it. */
export function displayText(field: Field, value: CellValue): string {
  if (value === null || value === undefined || value === "") return "";
  switch (field.type) {
    case "checkbox":
      return value ? "Checked" : "";
    case "number":
    case "currency": {
      if (typeof value !== "number") return String(value);
      const precision = precisionOf(field);
      const text = precision === undefined ? String(value) : value.toFixed(precision);
      const symbol = field.type === "currency" ? String(field.options?.symbol ?? "$") : "";
      return symbol + text;
    }
    case "percent":
      return typeof value === "number" ? `${(value * 100).toFixed(precisionOf(field) ?? 0)}%` : String(value);
    case "dateTime":
      return typeof value === "string" ? new Date(value).toLocaleString() : String(value);
    case "multipleRecordLinks":
      return Array.isArray(value) ? `${value.length} linked` : String(value);
    default:
      break;
  }
  if (Array.isArray(value)) return value.map((item) => itemText(item)).join(", ");
  return itemText(value);
}

function itemText(item: unknown): string {
  if (item === null || item === undefined) return "";
  if (typeof item === "object") {
    const o = item as Record<string, unknown>;
    for (const key of ["name", "filename", "email", "label", "id"]) {
      if (typeof o[key] === "string") return o[key] as string;
    }
    return JSON.stringify(item);
  }
  return String(item);
}

/** The text an editor starts from for a stored value. */
export function draftOf(field: Field, value: CellValue): string {
  if (field.type === "multipleSelects") return JSON.stringify(Array.isArray(value) ? value : []);
  if (field.type === "multipleRecordLinks") return JSON.stringify(linkIds(value));
  if (value === null || value === undefined) return "";
  if (field.type === "dateTime" && typeof value === "string") {
    const d = new Date(value);
    if (Number.isNaN(d.getTime())) return "";
    const local = new Date(d.getTime() - d.getTimezoneOffset() * 60_000);
    return local.toISOString().slice(0, 16);
  }
  return String(value);
}

/** The value to store for an editor's text. A number that does not parse is sent as typed, so
 * the server's refusal (and its message) is what the cell shows. */
export function valueOf(field: Field, kind: EditorKind, draft: string): CellValue {
  if (draft.trim() === "") return null;
  switch (kind) {
    case "links": {
      const ids = linkIds(draft);
      return ids.length ? ids : null;
    }
    case "multiSelect": {
      const names = JSON.parse(draft) as string[];
      return names.length ? names : null;
    }
    case "number": {
      const n = Number(draft.replace(/[\s,]/g, "").replace(/^[$€£]/, "").replace(/%$/, ""));
      if (!Number.isFinite(n)) return draft;
      return field.type === "percent" && /%\s*$/.test(draft) ? n / 100 : n;
    }
    case "dateTime":
      return new Date(draft).toISOString();
    default:
      return draft;
  }
}

/** The value a pasted text stands for: as if typed into the cell's editor (a checkbox is
 * checked by "checked", "true", "yes", "x" or "1"; select names are comma-separated). */
export function pastedValue(field: Field, kind: EditorKind | null, text: string): CellValue {
  if (field.type === "checkbox") return /^\s*(checked|true|yes|x|1|✓)\s*$/i.test(text);
  if (!kind) return null;
  if (kind === "multiSelect") {
    const names = text.split(",").map((name) => name.trim()).filter(Boolean);
    return names.length ? names : null;
  }
  // A date that does not parse goes as pasted, for the server to refuse with its reason.
  if (kind === "dateTime" && Number.isNaN(new Date(text).getTime())) return text;
  return valueOf(field, kind, text);
}

/** The colour a choice was given (Airtable's names, e.g. "blueLight2"), for styles.css. */
export function colorOf(field: Field, name: string): string | undefined {
  return field.options?.choices?.find((choice) => choice.name === name)?.color;
}

export function CellContent({ field, value }: { field: Field; value: CellValue }) {
  if (field.type === "multipleRecordLinks") return <LinkChips field={field} value={value} />;
  if (field.type === "checkbox") {
    return value ? (
      <span className="check" aria-label="Checked" role="img">
        ✓
      </span>
    ) : null;
  }
  if ((field.type === "singleSelect" || field.type === "multipleSelects") && value) {
    const names = Array.isArray(value) ? value : [value];
    return (
      <>
        {names.map((name) => (
          <span key={String(name)} className="pill" data-color={colorOf(field, String(name))}>
            {String(name)}
          </span>
        ))}
      </>
    );
  }
  return <>{displayText(field, value)}</>;
}

export interface EditorProps {
  field: Field;
  kind: EditorKind;
  initial: string;
  label: string;
  /** Keep the value and move: "down" after Enter, "right"/"left" after Tab, "stay" on blur. */
  onCommit: (draft: string, move: "down" | "right" | "left" | "stay") => void;
  onCancel: () => void;
}

export function CellEditor({ field, kind, initial, label, onCommit, onCancel }: EditorProps) {
  const [draft, setDraft] = useState(initial);
  // Set once the edit ended by a key, so the blur that follows does not commit again.
  const ended = useRef(false);
  const input = useRef<HTMLInputElement & HTMLTextAreaElement & HTMLSelectElement>(null);

  // Focused before the next key press arrives, so fast typing lands in the editor.
  useLayoutEffect(() => {
    const el: HTMLElement | null = input.current;
    if (!el) return;
    el.focus();
    // Typing a key into a cell replaces its content: put the caret after it.
    if (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement) {
      try {
        el.setSelectionRange(el.value.length, el.value.length);
      } catch {
        // date inputs have no selection
      }
    }
  }, []);

  function end(action: () => void) {
    ended.current = true;
    action();
  }

  function onKeyDown(event: KeyboardEvent) {
    event.stopPropagation();
    if (event.key === "Escape") {
      event.preventDefault();
      end(onCancel);
    } else if (event.key === "Enter" && !(kind === "multiline" && event.shiftKey)) {
      event.preventDefault();
      end(() => onCommit(draft, "down"));
    } else if (event.key === "Tab") {
      event.preventDefault();
      end(() => onCommit(draft, event.shiftKey ? "left" : "right"));
    }
  }

  const common = {
    ref: input,
    className: "cell-editor",
    "aria-label": label,
    value: draft,
    onKeyDown,
    onBlur: () => {
      if (!ended.current) end(() => onCommit(draft, "stay"));
    },
  };

  if (kind === "links") {
    return <LinkPicker field={field} initial={initial} onCommit={onCommit} onCancel={onCancel} />;
  }
  if (kind === "multiline") {
    return <textarea {...common} rows={3} onChange={(e) => setDraft(e.target.value)} />;
  }
  if (kind === "multiSelect") {
    const choices = field.options?.choices ?? [];
    const chosen = JSON.parse(draft || "[]") as string[];
    return (
      <select
        {...common}
        multiple
        size={Math.min(6, Math.max(2, choices.length))}
        value={chosen}
        onChange={(e) => setDraft(JSON.stringify(Array.from(e.target.selectedOptions, (o) => o.value)))}
      >
        {choices.map((choice) => (
          <option key={choice.id ?? choice.name} value={choice.name} data-color={choice.color}>
            {choice.name}
          </option>
        ))}
      </select>
    );
  }
  if (kind === "select") {
    const choices = field.options?.choices ?? [];
    return (
      <select {...common} onChange={(e) => setDraft(e.target.value)}>
        <option value="">(none)</option>
        {choices.map((choice) => (
          <option key={choice.id ?? choice.name} value={choice.name} data-color={choice.color}>
            {choice.name}
          </option>
        ))}
      </select>
    );
  }
  const type = kind === "date" ? "date" : kind === "dateTime" ? "datetime-local" : "text";
  return (
    <input
      {...common}
      type={type}
      inputMode={kind === "number" ? "decimal" : undefined}
      onChange={(e) => setDraft(e.target.value)}
    />
  );
}
