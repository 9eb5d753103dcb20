// Saved views (schema-service CreateView / UpdateView / DeleteView), the table they belong to
// (GetTable), and a check of a filter formula by asking web-bff for one row of it.

import { apiJson, jsonBody } from "./session";
import type { View } from "./types";

const enc = encodeURIComponent;

/** What a view holds besides its name, as schema-service takes it. */
export interface ViewSettings {
  filter_by_formula: string;
  sorts: { field_id: string; direction: "asc" | "desc" }[];
  visible_field_ids: string[];
}

function tablePath(baseId: string, tableId: string): string {
  return `/v1/bases/${enc(baseId)}/tables/${enc(tableId)}`;
}

export async function createView(baseId: string, tableId: string, name: string): Promise<View> {
  const answer = await apiJson<{ view: View }>(`${tablePath(baseId, tableId)}/views`, jsonBody("POST", { name }));
  return answer.view;
}

/** Changes only what `change` holds (the update mask names exactly those parts). */
export async function updateView(
  baseId: string,
  tableId: string,
  viewId: string,
  change: Partial<ViewSettings> & { name?: string },
): Promise<View> {
  // The mask in JSON names the fields as JSON spells them.
  const camel = (path: string) => path.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  const mask = Object.keys(change).map(camel).join(",");
  const answer = await apiJson<{ view: View }>(
    `${tablePath(baseId, tableId)}/views/${enc(viewId)}`,
    jsonBody("PATCH", { ...change, update_mask: mask }),
  );
  return answer.view;
}

export async function deleteView(baseId: string, tableId: string, viewId: string): Promise<void> {
  await apiJson(`${tablePath(baseId, tableId)}/views/${enc(viewId)}`, { method: "DELETE" });
}

/** Throws the server's refusal (ApiError) when `formula` is not a valid filter of the table. */
export async function checkFilter(baseId: string, tableId: string, formula: string): Promise<void> {
  // Spaces as %20: the edge's transcoder reads a "+" in a query as a plus sign.
  const query = `filter_by_formula=${enc(formula)}&page_size=1`;
  await apiJson(`/v1/web/bases/${enc(baseId)}/tables/${enc(tableId)}/rows?${query}`);
}
