// Searching a base by meaning and by words: a button in the base's header (also Ctrl/Cmd+K,
// or "/" where it would not be typed into something) opens a dialog that lists the best hits
// as one types, the whole base or only the current table. Arrows move through the hits, Enter
// opens one, Esc closes.

import { useCallback, useEffect, useId, useRef, useState, type KeyboardEvent } from "react";
import { MAX_QUERY_LENGTH, type SearchHit } from "../api/search";
import type { Table } from "../api/types";
import { relevanceOf, relevanceText } from "./relevance";
import { useIndexStatus, useSearch } from "./useSearch";
import "./search.css";

export interface BaseSearchProps {
  baseId: string;
  baseName: string;
  tables: Table[];
  /** The table on screen, which the search can be narrowed to. */
  tableId?: string;
  /** A hit chosen: open its record. */
  onOpen: (hit: { tableId: string; recordId: string }) => void;
}

export function BaseSearch(props: BaseSearchProps) {
  const [open, setOpen] = useState(false);
  const show = useCallback(() => setOpen(true), []);
  useSearchShortcut(show);
  return (
    <>
      <button
        type="button"
        className="search-button"
        aria-haspopup="dialog"
        aria-keyshortcuts="Control+K Meta+K /"
        title="Search this base (Ctrl+K or /)"
        onClick={show}
      >
        Search <kbd aria-hidden="true">Ctrl K</kbd>
      </button>
      {open && (
        <SearchDialog
          {...props}
          onClose={() => setOpen(false)}
          onOpen={(hit) => {
            setOpen(false);
            props.onOpen(hit);
          }}
        />
      )}
    </>
  );
}

/** Whether a key pressed in `target` is text being typed (a form control, an editable). */
function typingInto(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

/** Ctrl/Cmd+K anywhere but a cell being edited or an open dialog (this one too); "/" where it
 * is not typed into anything, nor taken by the grid (which starts editing a cell with it).
 * Listening all along, not only while closed: a key pressed just after closing still counts. */
function useSearchShortcut(open: () => void) {
  useEffect(() => {
    const onKeyDown = (event: globalThis.KeyboardEvent) => {
      if (event.defaultPrevented || event.altKey || document.querySelector("dialog[open]")) return;
      const target = event.target instanceof Element ? event.target : null;
      const command =
        (event.ctrlKey || event.metaKey) && !event.shiftKey && event.key.toLowerCase() === "k" && !target?.closest(".cell-editor");
      const slash = event.key === "/" && !event.ctrlKey && !event.metaKey && !typingInto(event.target);
      if (!command && !slash) return;
      event.preventDefault();
      open();
    };
    document.addEventListener("keydown", onKeyDown);
    return () => document.removeEventListener("keydown", onKeyDown);
  }, [open]);
}

function SearchDialog({
  baseId,
  baseName,
  tables,
  tableId,
  onOpen,
  onClose,
}: BaseSearchProps & { onClose: () => void }) {
  const id = useId();
  const dialog = useRef<HTMLDialogElement>(null);
  const list = useRef<HTMLUListElement>(null);
  const [text, setText] = useState("");
  const [onlyTable, setOnlyTable] = useState(false);
  const [active, setActive] = useState(-1);
  const current = tables.find((t) => t.id === tableId);
  const results = useSearch(baseId, text, onlyTable && current ? current.id : "");
  const status = useIndexStatus(baseId, true);
  const hits = results.state === "done" || results.state === "loading" ? results.hits : [];

  // A modal dialog keeps focus inside; when it goes, focus returns where it was.
  useEffect(() => {
    const opener = document.activeElement;
    const el = dialog.current;
    if (el && !el.open) el.showModal();
    return () => {
      if (opener instanceof HTMLElement) opener.focus();
    };
  }, []);

  // New hits: the best one is the one Enter opens.
  useEffect(() => {
    if (results.state === "done") setActive(results.hits.length ? 0 : -1);
  }, [results]);

  useEffect(() => {
    list.current?.children[active]?.scrollIntoView({ block: "nearest" });
  }, [active]);

  function choose(hit: SearchHit | undefined) {
    if (hit?.record_id && hit.table_id) onOpen({ tableId: hit.table_id, recordId: hit.record_id });
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!hits.length) return;
      const step = event.key === "ArrowDown" ? 1 : -1;
      setActive((at) => Math.max(0, Math.min(hits.length - 1, at + step)));
    } else if (event.key === "Enter") {
      event.preventDefault();
      choose(hits[active]);
    }
  }

  const tableName = (tableIdOfHit = "") => tables.find((t) => t.id === tableIdOfHit)?.name ?? "Another table";
  const listId = `${id}-hits`;
  const optionId = (i: number) => `${id}-hit-${i}`;
  const query = text.trim();

  return (
    <dialog
      ref={dialog}
      className="search-dialog"
      aria-labelledby={`${id}-title`}
      // Esc closes it here and now: the native close event would come a task later, after a
      // Ctrl+K that was meant to open it again.
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onClose={onClose}
    >
      <h2 id={`${id}-title`}>Search {baseName}</h2>
      <div className="search-controls">
        <input
          type="text"
          role="combobox"
          aria-label="Search records"
          aria-autocomplete="list"
          aria-expanded={hits.length > 0}
          aria-controls={listId}
          aria-activedescendant={active >= 0 && active < hits.length ? optionId(active) : undefined}
          placeholder="Describe what you are looking for…"
          autoFocus
          autoComplete="off"
          spellCheck={false}
          maxLength={MAX_QUERY_LENGTH}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKeyDown}
        />
        {current && (
          <label className="search-scope">
            <input type="checkbox" checked={onlyTable} onChange={(e) => setOnlyTable(e.target.checked)} />
            Only in {current.name}
          </label>
        )}
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      <p role="status" className="muted search-status">
        {status && status.pending > 0
          ? `Indexing ${status.pending.toLocaleString("en-US")} ${status.pending === 1 ? "record" : "records"}…`
          : status && status.indexed === 0
            ? "Nothing in this base is indexed yet."
            : ""}
      </p>
      {results.state === "error" && (
        <p role="alert" className="error-text">
          {results.message}
        </p>
      )}
      <div aria-live="polite" className="search-message muted">
        {results.state === "idle" && "Find records by what they mean or by the words in them, in every table."}
        {results.state === "loading" && !hits.length && "Searching…"}
        {results.state === "done" && !hits.length && `No records match “${query}”.`}
      </div>
      <ul
        ref={list}
        id={listId}
        role="listbox"
        aria-label="Search results"
        aria-busy={results.state === "loading"}
        className="search-hits"
        hidden={!hits.length}
      >
        {hits.map((hit, i) => {
          const relevance = relevanceOf(hit);
          // The text starts with the primary field's value, then a line per other field.
          const [title = "", ...lines] = (hit.text ?? "").split("\n");
          return (
            <li
              key={`${hit.table_id}/${hit.record_id}`}
              id={optionId(i)}
              role="option"
              aria-selected={i === active}
              className={i === active ? "search-hit active" : "search-hit"}
              onMouseMove={() => setActive(i)}
              onClick={() => choose(hit)}
            >
              <span className="search-hit-text">
                <strong>{title.trim() || "Unnamed record"}</strong> <span className="muted">{lines.join(" · ")}</span>
              </span>
              <span className="search-hit-table">{tableName(hit.table_id)}</span>
              <span className="search-hit-relevance">
                <span className="relevance-bar" aria-hidden="true">
                  <span style={{ width: `${Math.round(relevance.strength * 100)}%` }} />
                </span>
                {relevanceText(relevance)}
              </span>
            </li>
          );
        })}
      </ul>
    </dialog>
  );
}
