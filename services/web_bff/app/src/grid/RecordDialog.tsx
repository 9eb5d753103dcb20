// A record expanded: every field with its whole value, linked records by name. A native modal
// <dialog>, so focus stays inside it and Esc closes it.

import { useEffect, useRef, useState } from "react";
import { getRecordDetail, type RecordDetail } from "../api/client";
import { describe } from "../api/errors";
import type { Field } from "../api/types";
import { CellContent } from "./cells";

export function RecordDialog({
  baseId,
  tableId,
  recordId,
  fields,
  onClose,
}: {
  baseId: string;
  tableId: string;
  recordId: string;
  fields: Field[];
  onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [detail, setDetail] = useState<RecordDetail | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    const el = dialog.current;
    if (el && !el.open) el.showModal();
    let live = true;
    getRecordDetail(baseId, tableId, recordId).then(
      (loaded) => live && setDetail(loaded),
      (e: unknown) => live && setError(describe(e)),
    );
    return () => {
      live = false;
    };
  }, [baseId, tableId, recordId]);

  const primary = fields[0];
  const title = detail && primary ? String(detail.record.fields[primary.id] ?? "Untitled record") : "Record";

  return (
    <dialog ref={dialog} className="record-dialog" aria-labelledby="record-title" onClose={onClose}>
      <h2 id="record-title">{title}</h2>
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
      {!detail && !error && <p aria-busy="true">Loading record…</p>}
      {detail && (
        <dl>
          {fields.map((field) => {
            const links = detail.linked[field.id];
            return (
              <div key={field.id} className="record-field">
                <dt>{field.name}</dt>
                <dd>
                  {links ? (
                    links.map((l) => l.name || l.id).join(", ")
                  ) : (
                    <CellContent field={field} value={detail.record.fields[field.id]} />
                  )}
                </dd>
              </div>
            );
          })}
        </dl>
      )}
      <form method="dialog">
        <button type="submit" autoFocus>
          Close
        </button>
      </form>
    </dialog>
  );
}
