// The bar above the grid: which saved view, and its filter, sort and hidden fields. Changes
// apply at once (onChange); creators save them into the view, or anyone reverts to it.

import { useState } from "react";
import { describe } from "../api/errors";
import { roleAtLeast, type Field, type Role, type Table, type View } from "../api/types";
import { getTable } from "../api/client";
import { checkFilter, createView, deleteView, updateView } from "../api/views";
import { FilterPanel } from "./FilterPanel";
import { filterOf } from "./filters";
import { HideFieldsPanel } from "./HideFieldsPanel";
import { Popover } from "./Popover";
import { stateOfView, type ViewState } from "./query";
import { SortPanel } from "./SortPanel";
import { ViewMenu } from "./ViewMenu";
import "./views.css";

export interface ViewBarProps {
  baseId: string;
  tableId: string;
  table: Table;
  role: Role;
  state: ViewState;
  onChange: (state: ViewState) => void;
  /** The table as it is after a view was created, changed or deleted. */
  onTable: (table: Table) => void;
}

/** The table's fields, the primary field first (as the grid shows them). */
function fieldsOf(table: Table): Field[] {
  const primary = table.fields.find((f) => f.id === table.primary_field_id);
  return primary ? [primary, ...table.fields.filter((f) => f !== primary)] : table.fields;
}

/** Whether `state` differs from the saved `view` it started from. */
export function modified(state: ViewState, view: View | undefined): boolean {
  const saved = stateOfView(view);
  const sortKey = (s: ViewState) => s.sorts.map((x) => `${x.direction}:${x.field_id}`).join();
  return (
    state.filterByFormula !== saved.filterByFormula ||
    sortKey(state) !== sortKey(saved) ||
    state.visibleFieldIds.join() !== saved.visibleFieldIds.join()
  );
}

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? "" : "s"}`;
}

export function ViewBar({ baseId, tableId, table, role, state, onChange, onTable }: ViewBarProps) {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const fields = fieldsOf(table);
  const views = table.views ?? [];
  const current = views.find((v) => v.id === state.viewId);
  const canManage = roleAtLeast(role, "ROLE_CREATOR");
  const changed = modified(state, current);
  const visible = state.visibleFieldIds;
  const hidden = visible.length ? fields.filter((f, i) => i > 0 && !visible.includes(f.id)).length : 0;
  const filter = state.filterByFormula ? filterOf(state.filterByFormula, fields) : null;
  const filterSummary = !state.filterByFormula ? "" : filter ? plural(filter.conditions.length, "condition") : "formula";

  /** Runs a change of the table's views, the bar busy meanwhile; failures go to the caller. */
  async function act(change: () => Promise<void>): Promise<void> {
    setBusy(true);
    setError("");
    try {
      await change();
    } finally {
      setBusy(false);
    }
  }

  async function refreshed(): Promise<Table> {
    const fresh = await getTable(baseId, tableId);
    onTable(fresh);
    return fresh;
  }

  async function save() {
    if (!current) return;
    try {
      await act(async () => {
        await updateView(baseId, tableId, current.id, {
          filter_by_formula: state.filterByFormula,
          sorts: state.sorts,
          visible_field_ids: state.visibleFieldIds,
        });
        await refreshed();
      });
    } catch (e) {
      setError(`The view was not saved: ${describe(e)}`);
    }
  }

  return (
    <div className="view-bar" role="group" aria-label="View settings">
      <ViewMenu
        views={views}
        current={current}
        canManage={canManage}
        onSwitch={(view) => {
          setError("");
          onChange(stateOfView(view));
        }}
        onCreate={(name) =>
          act(async () => {
            const view = await createView(baseId, tableId, name);
            await refreshed();
            onChange(stateOfView(view));
          })
        }
        onRename={(name) =>
          act(async () => {
            if (current) await updateView(baseId, tableId, current.id, { name });
            await refreshed();
          })
        }
        onDelete={async () => {
          if (!current || !window.confirm(`Delete the view "${current.name}"?`)) return;
          try {
            await act(async () => {
              await deleteView(baseId, tableId, current.id);
              const fresh = await refreshed();
              onChange(stateOfView(fresh.views?.[0]));
            });
          } catch (e) {
            setError(`The view was not deleted: ${describe(e)}`);
          }
        }}
      />
      <Popover label="Filter" summary={filterSummary} active={!!state.filterByFormula}>
        <FilterPanel
          fields={fields}
          formula={state.filterByFormula}
          onFormula={(filterByFormula) => onChange({ ...state, filterByFormula })}
          check={(formula) => checkFilter(baseId, tableId, formula)}
        />
      </Popover>
      <Popover label="Sort" summary={state.sorts.length ? plural(state.sorts.length, "field") : ""} active={state.sorts.length > 0}>
        <SortPanel fields={fields} sorts={state.sorts} onSorts={(sorts) => onChange({ ...state, sorts })} />
      </Popover>
      <Popover label="Hide fields" summary={hidden ? `${hidden} hidden` : ""} active={hidden > 0}>
        <HideFieldsPanel
          fields={fields}
          visibleFieldIds={state.visibleFieldIds}
          onVisible={(visibleFieldIds) => onChange({ ...state, visibleFieldIds })}
        />
      </Popover>
      {changed && current && (
        <>
          <span className="modified" role="status">
            Modified
          </span>
          {canManage && (
            <button type="button" className="primary" onClick={save} disabled={busy}>
              Save view
            </button>
          )}
          <button
            type="button"
            onClick={() => {
              setError("");
              onChange(stateOfView(current));
            }}
            disabled={busy}
          >
            Revert
          </button>
        </>
      )}
      <p role="alert" className="error-text">
        {error}
      </p>
    </div>
  );
}
