// What a grid shows: a saved view as it is, or with unsaved changes to its filter, sorts and
// hidden fields. The rows come from web-bff's GetGrid / GetGridRows (proto/pyat/webbff/v1).

import type { Field, View } from "../api/types";

export interface SortSpec {
  field_id: string;
  direction: "asc" | "desc";
}

/** The state of the view bar: the saved view chosen, and what the user has set on top. */
export interface ViewState {
  /** The saved view the grid started from; "" for the table's records in their own order. */
  viewId: string;
  filterByFormula: string;
  sorts: SortSpec[];
  /** The fields shown, in order; empty means all. */
  visibleFieldIds: string[];
}

/** The query GetGrid / GetGridRows take (their `view`, `filter_by_formula` and `sort`). */
export interface RowsQuery {
  view: string;
  filterByFormula: string;
  /** Field ids, "-" in front for descending. */
  sort: string[];
}

export const ALL_RECORDS: RowsQuery = { view: "", filterByFormula: "", sort: [] };

export function stateOfView(view: View | undefined): ViewState {
  if (!view) return { viewId: "", filterByFormula: "", sorts: [], visibleFieldIds: [] };
  return {
    viewId: view.id,
    filterByFormula: view.filter_by_formula ?? "",
    sorts: (view.sorts ?? []).map((s) => ({ field_id: s.field_id, direction: s.direction === "desc" ? "desc" : "asc" })),
    visibleFieldIds: view.visible_field_ids ?? [],
  };
}

/** The query for `state`'s rows: its filter and sorts spelled out, a saved view's too, since
 * airtable-gateway caches a table's schema for a moment and, asked by view id, could still
 * apply the view as it was before it was saved. */
export function rowsQuery(state: ViewState): RowsQuery {
  return {
    view: "",
    filterByFormula: state.filterByFormula,
    sort: state.sorts.map((s) => (s.direction === "desc" ? `-${s.field_id}` : s.field_id)),
  };
}

export function sameQuery(a: RowsQuery, b: RowsQuery): boolean {
  return a.view === b.view && a.filterByFormula === b.filterByFormula && a.sort.join() === b.sort.join();
}

/** The fields `state` shows, primary first, in the view's order. */
export function shownFields(state: ViewState, fields: Field[]): Field[] {
  if (!state.visibleFieldIds.length) return fields;
  const byId = new Map(fields.map((f) => [f.id, f]));
  const shown = state.visibleFieldIds.map((id) => byId.get(id)).filter((f): f is Field => !!f);
  // The primary field is always shown, first, as in Airtable.
  const primary = fields[0];
  return primary && !shown.includes(primary) ? [primary, ...shown] : shown;
}
