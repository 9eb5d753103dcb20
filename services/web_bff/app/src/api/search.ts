// Finding a base's records by meaning and by words (semantic-search's Search and
// GetIndexStatus, transcoded at /v1/bases/{base_id}/search), typed by the generated contract.

import type { operations } from "./openapi.gen";
import { apiJson } from "./session";

type Search = operations["SearchService_Search"];
type IndexStatus = operations["SearchService_GetIndexStatus"];

export type SearchQuery = NonNullable<Search["parameters"]["query"]>;
export type SearchHit = NonNullable<Search["responses"][200]["content"]["application/json"]["hits"]>[number];
type IndexStatusResponse = IndexStatus["responses"][200]["content"]["application/json"];

/** The contract's longest query. */
export const MAX_QUERY_LENGTH = 1_000;

const enc = encodeURIComponent;

/** A query string of the parameters that are set. Spaces as %20, not URLSearchParams' "+":
 * the edge's transcoder reads a "+" in a query as a plus sign. */
function queryString(params: SearchQuery): string {
  return Object.entries(params)
    .filter(([, value]) => value !== undefined && value !== "")
    .map(([name, value]) => `${enc(name)}=${enc(String(value))}`)
    .join("&");
}

/** The records that best match `params.query`, best first (the whole base unless `table`). */
export async function searchBase(baseId: string, params: SearchQuery, signal?: AbortSignal): Promise<SearchHit[]> {
  const answer = await apiJson<Search["responses"][200]["content"]["application/json"]>(
    `/v1/bases/${enc(baseId)}/search?${queryString(params)}`,
    { signal },
  );
  return answer.hits ?? [];
}

export interface IndexProgress {
  indexed: number;
  pending: number;
  model: string;
}

/** How much of a base is indexed (int64 counts come as strings). */
export async function getIndexStatus(baseId: string, signal?: AbortSignal): Promise<IndexProgress> {
  const answer = await apiJson<IndexStatusResponse>(`/v1/bases/${enc(baseId)}/search/status`, { signal });
  return {
    indexed: Number(answer.indexed_records ?? 0),
    pending: Number(answer.pending_records ?? 0),
    model: answer.model ?? "",
  };
}
