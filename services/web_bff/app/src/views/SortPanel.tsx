// The sort: fields, each ascending or descending, the first sorting first.

import type { Field } from "../api/types";
import type { SortSpec } from "./query";

export function SortPanel({
  fields,
  sorts,
  onSorts,
}: {
  fields: Field[];
  sorts: SortSpec[];
  onSorts: (sorts: SortSpec[]) => void;
}) {
  const unused = fields.filter((f) => !sorts.some((s) => s.field_id === f.id));
  const nameOf = (id: string) => fields.find((f) => f.id === id)?.name ?? id;

  function move(index: number, by: number) {
    const next = sorts.slice();
    const [taken] = next.splice(index, 1);
    if (!taken) return;
    next.splice(index + by, 0, taken);
    onSorts(next);
  }

  return (
    <div className="sort-panel">
      {sorts.length === 0 ? (
        <p className="muted">No sort: records in the order they were made.</p>
      ) : (
        <ol className="sorts" aria-label="Sorts">
          {sorts.map((sort, i) => {
            const n = i + 1;
            return (
              <li key={sort.field_id} className="sort">
                <select
                  aria-label={`Sort ${n} field`}
                  value={sort.field_id}
                  onChange={(e) => onSorts(sorts.map((s, j) => (j === i ? { ...s, field_id: e.target.value } : s)))}
                >
                  {fields
                    .filter((f) => f.id === sort.field_id || unused.includes(f))
                    .map((f) => (
                      <option key={f.id} value={f.id}>
                        {f.name}
                      </option>
                    ))}
                </select>
                <select
                  aria-label={`Sort ${n} direction`}
                  value={sort.direction}
                  onChange={(e) =>
                    onSorts(sorts.map((s, j) => (j === i ? { ...s, direction: e.target.value as SortSpec["direction"] } : s)))
                  }
                >
                  <option value="asc">Ascending</option>
                  <option value="desc">Descending</option>
                </select>
                <button
                  type="button"
                  aria-label={`Move sort by ${nameOf(sort.field_id)} up`}
                  disabled={i === 0}
                  onClick={() => move(i, -1)}
                >
                  ↑
                </button>
                <button
                  type="button"
                  aria-label={`Move sort by ${nameOf(sort.field_id)} down`}
                  disabled={i === sorts.length - 1}
                  onClick={() => move(i, 1)}
                >
                  ↓
                </button>
                <button
                  type="button"
                  aria-label={`Remove sort by ${nameOf(sort.field_id)}`}
                  onClick={() => onSorts(sorts.filter((_, j) => j !== i))}
                >
                  ✕
                </button>
              </li>
            );
          })}
        </ol>
      )}
      <button
        type="button"
        disabled={unused.length === 0}
        onClick={() => {
          const field = unused[0];
          if (field) onSorts([...sorts, { field_id: field.id, direction: "asc" }]);
        }}
      >
        Add sort
      </button>
    </div>
  );
}
