// One field of an expanded record as a labelled control fitting its type. A control saves when
// it commits (blur or Enter for a line of text, change for a checkbox or a choice); until the
// person types, it follows the stored value, so a refusal or another person's edit shows.

import { useId, useState, type KeyboardEvent } from "react";
import type { CellValue, Field } from "../api/types";
import { colorOf, displayText, draftOf, editorKind, isComputed, valueOf, type EditorKind } from "./cells";
import { LinkChips, LinkPicker } from "./LinkPicker";

const INPUT_TYPES: Record<string, string> = { email: "email", url: "url", phoneNumber: "tel" };

// Airtable's default number of stars.
const RATING_MAX = 5;

export interface FieldControlProps {
  field: Field;
  recordId: string;
  value: CellValue;
  editable: boolean;
  /** Why the server refused the last value saved here, if it did. */
  error?: string;
  onSave: (value: CellValue) => void;
}

/** The text a control shows, and whether the person has typed since it last matched the store. */
interface Draft {
  text: string;
  typed: boolean;
  recordId: string;
  stored: string;
}

export function FieldControl({ field, recordId, value, editable, error, onSave }: FieldControlProps) {
  const id = useId();
  const kind = editorKind(field);
  const stored = draftOf(field, value);
  const [draft, setDraft] = useState<Draft>({ text: stored, typed: false, recordId, stored });
  // Another record, or a new stored value the person is not typing over: show it.
  if (draft.recordId !== recordId || (draft.stored !== stored && !draft.typed)) {
    setDraft({ text: stored, typed: false, recordId, stored });
  } else if (draft.stored !== stored) {
    setDraft({ ...draft, stored });
  }
  const [picking, setPicking] = useState(false);

  function type(text: string) {
    setDraft({ ...draft, text, typed: true });
  }

  function commit(text: string) {
    setDraft({ ...draft, text, typed: false });
    if (kind && text !== stored) onSave(valueOf(field, kind, text));
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === "Enter") {
      event.preventDefault();
      commit(draft.text);
    }
  }

  const noteId = `${id}-note`;
  const errorId = `${id}-error`;
  const computed = isComputed(field);
  const note = computed ? "Computed: can't be edited" : kind || field.type === "checkbox" ? "" : "Can't be edited here";
  const described = [note && noteId, error && errorId].filter(Boolean).join(" ") || undefined;
  const common = {
    id,
    disabled: !editable,
    "aria-invalid": error ? true : undefined,
    "aria-describedby": described,
  };

  return (
    <div className={`record-control type-${field.type}`} data-field-id={field.id}>
      {kind === "multiSelect" || kind === "links" ? (
        <span className="record-label" id={`${id}-label`}>
          {field.name}
        </span>
      ) : (
        <label className="record-label" htmlFor={id}>
          {field.name}
        </label>
      )}
      {control()}
      {note && (
        <span id={noteId} className="record-note muted">
          {note}
        </span>
      )}
      {error && (
        <p id={errorId} role="alert" className="error-text">
          {field.name} was not saved: {error}
        </p>
      )}
    </div>
  );

  function control() {
    if (field.type === "checkbox") {
      return <input {...common} type="checkbox" checked={!!value} onChange={(e) => onSave(e.target.checked)} />;
    }
    if (!kind) return <input {...common} readOnly value={displayText(field, value)} />;
    if (field.type === "rating") return rating();
    switch (kind) {
      case "multiline":
        return (
          <textarea
            {...common}
            rows={4}
            value={draft.text}
            onChange={(e) => type(e.target.value)}
            onBlur={() => commit(draft.text)}
          />
        );
      case "select":
        return (
          <span className="record-select">
            <select {...common} value={draft.text} onChange={(e) => commit(e.target.value)}>
              <option value="">(none)</option>
              {(field.options?.choices ?? []).map((choice) => (
                <option key={choice.id ?? choice.name} value={choice.name} data-color={choice.color}>
                  {choice.name}
                </option>
              ))}
            </select>
            {stored && (
              <span className="pill" data-color={colorOf(field, stored)} aria-hidden="true">
                {stored}
              </span>
            )}
          </span>
        );
      case "multiSelect":
        return multiSelect();
      case "links":
        return links();
      default:
        return (
          <span className="record-input">
            {field.type === "currency" && (
              <span className="muted" aria-hidden="true">
                {String(field.options?.symbol ?? "$")}
              </span>
            )}
            <input
              {...common}
              type={inputType(field, kind)}
              inputMode={kind === "number" ? "decimal" : undefined}
              value={draft.text}
              onChange={(e) => type(e.target.value)}
              onKeyDown={onKeyDown}
              onBlur={() => commit(draft.text)}
            />
            {field.type === "percent" && (
              <span className="muted" aria-hidden="true">
                {displayText(field, value)}
              </span>
            )}
          </span>
        );
    }
  }

  function rating() {
    const max = typeof field.options?.max === "number" ? field.options.max : RATING_MAX;
    const current = typeof value === "number" ? value : 0;
    return (
      <select {...common} value={current} onChange={(e) => onSave(Number(e.target.value) || null)}>
        <option value={0}>No rating</option>
        {Array.from({ length: max }, (_, i) => (
          <option key={i + 1} value={i + 1} aria-label={`${i + 1} of ${max}`}>
            {"★".repeat(i + 1)}
          </option>
        ))}
      </select>
    );
  }

  function multiSelect() {
    const chosen = Array.isArray(value) ? value.map(String) : [];
    const toggle = (name: string, on: boolean) => {
      const names = on ? [...chosen, name] : chosen.filter((n) => n !== name);
      onSave(names.length ? names : null);
    };
    return (
      <fieldset className="record-choices" aria-labelledby={`${id}-label`} aria-describedby={common["aria-describedby"]}>
        {(field.options?.choices ?? []).map((choice) => (
          <label key={choice.id ?? choice.name}>
            <input
              type="checkbox"
              disabled={!editable}
              checked={chosen.includes(choice.name)}
              onChange={(e) => toggle(choice.name, e.target.checked)}
            />
            <span className="pill" data-color={choice.color}>
              {choice.name}
            </span>
          </label>
        ))}
      </fieldset>
    );
  }

  function links() {
    return (
      <div className="record-links" role="group" aria-labelledby={`${id}-label`} aria-describedby={described}>
        <LinkChips field={field} value={value} />
        <button type="button" disabled={!editable} onClick={() => setPicking(true)}>
          Edit links in {field.name}
        </button>
        {picking && (
          <LinkPicker
            field={field}
            initial={stored}
            onCommit={(text) => {
              setPicking(false);
              commit(text);
            }}
            onCancel={() => setPicking(false)}
          />
        )}
      </div>
    );
  }
}

function inputType(field: Field, kind: EditorKind): string {
  if (kind === "date") return "date";
  if (kind === "dateTime") return "datetime-local";
  return INPUT_TYPES[field.type] ?? "text";
}

