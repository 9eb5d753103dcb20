// Link cells: the linked records shown as chips by name, and the dialog that picks them from
// the linked table (searched by primary value), keyboard first: arrows move through the list,
// Space picks, Enter saves, Esc cancels.

import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { searchRecords, type NamedRecord } from "../api/fields";
import { describe } from "../api/errors";
import type { CellValue, Field, Table } from "../api/types";
import { LinkNames, LinksContext, linkIds, useLinkNames, useLinks } from "./links";
import "./fields.css";

// Wait this long after the last key before searching.
const SEARCH_DELAY_MS = 200;

/** Gives the link cells, the link picker and the field menu of one grid their names cache. */
export function LinksScope({ baseId, children }: { baseId: string; children: ReactNode }) {
  const [links, setLinks] = useState(() => new LinkNames(baseId));
  if (links.baseId !== baseId) setLinks(new LinkNames(baseId));
  return <LinksContext value={links}>{children}</LinksContext>;
}

function linkedTableOf(field: Field): string {
  return String(field.options?.linkedTableId ?? "");
}

function nameText(name: string | null | undefined, id: string): string {
  if (name === undefined) return "…";
  if (name === null) return id;
  return name || "Unnamed record";
}

/** A link cell: its records' names as chips. */
export function LinkChips({ field, value }: { field: Field; value: CellValue }) {
  const ids = linkIds(value);
  const nameOf = useLinkNames(linkedTableOf(field), ids);
  return (
    <>
      {ids.map((id) => (
        <span key={id} className="link-chip">
          {nameText(nameOf(id), id)}
        </span>
      ))}
    </>
  );
}

export interface LinkPickerProps {
  field: Field;
  /** The ids linked when the picker opened, as the cell editor's draft (JSON). */
  initial: string;
  onCommit: (draft: string, move: "stay") => void;
  onCancel: () => void;
}

export function LinkPicker({ field, initial, onCommit, onCancel }: LinkPickerProps) {
  const id = useId();
  const links = useLinks();
  const dialog = useRef<HTMLDialogElement>(null);
  const list = useRef<HTMLUListElement>(null);
  const [chosen, setChosen] = useState<string[]>(() => linkIds(initial));
  const [table, setTable] = useState<Table | null>(null);
  const [text, setText] = useState("");
  const [found, setFound] = useState<NamedRecord[] | null>(null);
  const [error, setError] = useState("");
  const nameOf = useLinkNames(linkedTableOf(field), chosen);
  const single = field.options?.prefersSingleRecordLink === true;

  // A modal dialog keeps focus inside; when it goes, focus returns where it was (the grid).
  useEffect(() => {
    const opener = document.activeElement;
    const el = dialog.current;
    if (el && !el.open) el.showModal();
    return () => {
      if (opener instanceof HTMLElement) opener.focus();
    };
  }, []);

  useEffect(() => {
    if (!links) return;
    let live = true;
    links.table(linkedTableOf(field)).then(
      (t) => live && setTable(t),
      (e: unknown) => live && setError(describe(e)),
    );
    return () => {
      live = false;
    };
  }, [links, field]);

  useEffect(() => {
    if (!links || !table) return;
    let live = true;
    const timer = setTimeout(() => {
      searchRecords(links.baseId, table, text).then(
        (records) => {
          if (!live) return;
          links.remember(records);
          setFound(records);
          setError("");
        },
        (e: unknown) => live && setError(describe(e)),
      );
    }, text ? SEARCH_DELAY_MS : 0);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [links, table, text]);

  function toggle(recordId: string) {
    setChosen((old) => {
      if (old.includes(recordId)) return old.filter((i) => i !== recordId);
      return single ? [recordId] : [...old, recordId];
    });
  }

  function save() {
    onCommit(JSON.stringify(chosen), "stay");
  }

  // Arrows move between the search box and the records; Enter saves from anywhere but a button.
  function onKeyDown(event: KeyboardEvent<HTMLDialogElement>) {
    event.stopPropagation();
    const target = event.target as HTMLElement;
    if (event.key === "Enter" && target.tagName !== "BUTTON") {
      event.preventDefault();
      save();
      return;
    }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    const boxes = Array.from(list.current?.querySelectorAll<HTMLInputElement>("input[type=checkbox]") ?? []);
    const search = dialog.current?.querySelector<HTMLInputElement>("input[type=search]");
    const stops: HTMLElement[] = search ? [search, ...boxes] : boxes;
    const at = stops.indexOf(target);
    if (at < 0) return;
    event.preventDefault();
    const next = stops[Math.max(0, Math.min(stops.length - 1, at + (event.key === "ArrowDown" ? 1 : -1)))];
    next?.focus();
  }

  const title = `Link records to ${field.name}`;
  return (
    <dialog
      ref={dialog}
      className="link-picker"
      aria-labelledby={`${id}-title`}
      onKeyDown={onKeyDown}
      onMouseDown={(e) => e.stopPropagation()}
      onDoubleClick={(e) => e.stopPropagation()}
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
    >
      <h2 id={`${id}-title`}>{title}</h2>
      <ul className="link-chosen" aria-label="Linked records">
        {chosen.map((recordId) => {
          const name = nameText(nameOf(recordId), recordId);
          return (
            <li key={recordId} className="link-chip">
              {name}
              <button type="button" aria-label={`Remove ${name}`} onClick={() => toggle(recordId)}>
                ×
              </button>
            </li>
          );
        })}
        {!chosen.length && <li className="muted">No linked records</li>}
      </ul>
      <label htmlFor={`${id}-search`}>Search {table ? table.name : "records"}</label>
      <input
        id={`${id}-search`}
        type="search"
        autoFocus
        autoComplete="off"
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
      <ul ref={list} className="link-results" aria-label={`Records of ${table?.name ?? "the linked table"}`} aria-busy={!found}>
        {found?.map((record) => (
          <li key={record.id}>
            <label>
              <input type="checkbox" checked={chosen.includes(record.id)} onChange={() => toggle(record.id)} />
              {record.name || "Unnamed record"}
            </label>
          </li>
        ))}
        {found && !found.length && <li className="muted">No records match.</li>}
      </ul>
      <div className="dialog-actions">
        <button type="button" className="primary" onClick={save}>
          Save links
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}
