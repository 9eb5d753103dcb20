// Which fields the grid shows: a checkbox per field; the primary field is always shown.

import type { Field } from "../api/types";

export function HideFieldsPanel({
  fields,
  visibleFieldIds,
  onVisible,
}: {
  /** In the grid's order, the primary field first. */
  fields: Field[];
  /** Empty means all. */
  visibleFieldIds: string[];
  onVisible: (visibleFieldIds: string[]) => void;
}) {
  const primary = fields[0];
  const shown = (field: Field) =>
    field === primary || visibleFieldIds.length === 0 || visibleFieldIds.includes(field.id);

  function set(ids: Set<string>) {
    // All shown is stored as none named, so that fields added later are shown too.
    const all = fields.every((f) => f === primary || ids.has(f.id));
    onVisible(all ? [] : fields.filter((f) => f === primary || ids.has(f.id)).map((f) => f.id));
  }

  const current = new Set(fields.filter(shown).map((f) => f.id));
  return (
    <div className="hide-panel">
      <ul className="field-checks" aria-label="Fields shown">
        {fields.map((field) => (
          <li key={field.id}>
            <label>
              <input
                type="checkbox"
                checked={shown(field)}
                disabled={field === primary}
                onChange={(e) => {
                  const next = new Set(current);
                  if (e.target.checked) next.add(field.id);
                  else next.delete(field.id);
                  set(next);
                }}
              />
              {field.name}
              {field === primary && <span className="muted"> (primary)</span>}
            </label>
          </li>
        ))}
      </ul>
      <button type="button" onClick={() => set(new Set(fields.map((f) => f.id)))}>
        Show all
      </button>
      <button type="button" onClick={() => set(new Set())}>
        Hide all
      </button>
    </div>
  );
}
