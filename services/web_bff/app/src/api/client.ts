// Typed calls to the platform, all same-origin through Envoy: transcoded /v1 routes (see the
// google.api.http options in proto/pyat/**) and Airtable's /v0 records API.

import { ApiError } from "./errors";
import { apiJson, authorizedFetch, jsonBody } from "./session";
import type {
  Base,
  CellValue,
  Field,
  FieldSpec,
  GridRecord,
  GridResponse,
  GridRowsResponse,
  HomeResponse,
  ProtoRecord,
  Role,
  Table,
  User,
  WatchTableResponse,
  Workspace,
} from "./types";
import type { RowsQuery } from "../views/query";

const enc = encodeURIComponent;

export async function getMe(): Promise<User> {
  const answer = await apiJson<{ user: User }>("/v1/users/me");
  return answer.user;
}

export interface HomeWorkspace {
  workspace: Workspace;
  bases: Base[];
}

/** The home screen: from web-bff's GetHome, or from workspace-service while that is missing. */
export type Activity = NonNullable<HomeResponse["recent_activity"]>[number];

export interface Home {
  workspaces: HomeWorkspace[];
  activity: Activity[];
  /** Why parts of the screen are missing (web-bff's `partial`). */
  notes: string[];
}

export async function getHome(): Promise<Home> {
  const home = await apiJson<HomeResponse>("/v1/web/home");
  return {
    workspaces: (home.workspaces ?? []).map((w) => ({ workspace: w.workspace, bases: w.bases ?? [] })),
    activity: home.recent_activity ?? [],
    notes: (home.partial ?? []).map((p) => p.reason),
  };
}

export async function createWorkspace(name: string): Promise<Workspace> {
  const answer = await apiJson<{ workspace: Workspace }>("/v1/workspaces", jsonBody("POST", { name }));
  return answer.workspace;
}

export async function createBase(workspaceId: string, name: string): Promise<Base> {
  const answer = await apiJson<{ base: Base }>(
    `/v1/workspaces/${enc(workspaceId)}/bases`,
    jsonBody("POST", { name }),
  );
  return answer.base;
}

export async function getBase(baseId: string): Promise<Base> {
  const answer = await apiJson<{ base: Base }>(`/v1/bases/${enc(baseId)}`);
  return answer.base;
}

export async function getTable(baseId: string, tableId: string): Promise<Table> {
  const answer = await apiJson<{ table: Table }>(`/v1/bases/${enc(baseId)}/tables/${enc(tableId)}`);
  return normalizeTable(answer.table);
}

export async function listTables(baseId: string): Promise<Table[]> {
  const answer = await apiJson<{ tables?: Table[] }>(`/v1/bases/${enc(baseId)}/tables`);
  return (answer.tables ?? []).map(normalizeTable);
}

export async function createTable(baseId: string, name: string, fields: FieldSpec[]): Promise<Table> {
  const answer = await apiJson<{ tables: Table[] }>(
    `/v1/bases/${enc(baseId)}/tables`,
    jsonBody("POST", { tables: [{ name, fields }] }),
  );
  const table = answer.tables[0];
  if (!table) throw new ApiError(500, "The table was not created.");
  return normalizeTable(table);
}

export async function createField(
  baseId: string,
  tableId: string,
  field: FieldSpec,
): Promise<{ field: Field; table: Table }> {
  const answer = await apiJson<{ field: Field; table: Table }>(
    `/v1/bases/${enc(baseId)}/tables/${enc(tableId)}/fields`,
    jsonBody("POST", { field }),
  );
  return { field: answer.field, table: normalizeTable(answer.table) };
}

export function normalizeTable(table: Table): Table {
  return { ...table, fields: table.fields ?? [], views: table.views ?? [] };
}

// Records per page, and per /v0 write (Airtable's limit).
export const PAGE_SIZE = 100;
export const WRITE_BATCH = 10;

function fromProto(record: ProtoRecord): GridRecord {
  return { id: record.id, createdTime: record.created_time, fields: record.fields ?? {} };
}

export interface GridPage {
  table: Table;
  role: Role;
  records: GridRecord[];
  /** How many records the view has over all pages. */
  total: number;
  cursor: string;
}

/** The grid's first screen, of a view when named: web-bff's GetGrid. */
export async function getGrid(baseId: string, tableId: string, view = ""): Promise<GridPage> {
  const query = new URLSearchParams({ page_size: String(PAGE_SIZE) });
  if (view) query.set("view", view);
  const grid = await apiJson<GridResponse>(
    `/v1/web/bases/${enc(baseId)}/tables/${enc(tableId)}/grid?${query.toString()}`,
  );
  const records = (grid.records ?? []).map(fromProto);
  return {
    table: normalizeTable(grid.table),
    role: grid.role ?? grid.base?.my_role ?? "ROLE_UNSPECIFIED",
    records,
    total: Math.max(grid.total ?? 0, records.length),
    cursor: grid.cursor ?? "",
  };
}

/** Up to a page of a query's records from position `start`, and how many it has in all:
 * web-bff's GetGridRows. */
export async function getGridRows(
  baseId: string,
  tableId: string,
  rows: RowsQuery,
  start: number,
  signal?: AbortSignal,
): Promise<{ records: GridRecord[]; total: number }> {
  const query = new URLSearchParams({ start: String(start), page_size: String(PAGE_SIZE) });
  if (rows.view) query.set("view", rows.view);
  if (rows.filterByFormula) query.set("filter_by_formula", rows.filterByFormula);
  for (const sort of rows.sort) query.append("sort", sort);
  const answer = await apiJson<GridRowsResponse>(
    `/v1/web/bases/${enc(baseId)}/tables/${enc(tableId)}/rows?${query.toString()}`,
    { signal },
  );
  const records = (answer.records ?? []).map(fromProto);
  return { records, total: Math.max(answer.total ?? 0, start + records.length) };
}

/** One record by id, its cells keyed by field id (Airtable's get record). */
export async function getRecord(baseId: string, tableId: string, recordId: string): Promise<GridRecord> {
  const answer = await apiJson<GridRecord>(
    `/v0/${enc(baseId)}/${enc(tableId)}/${enc(recordId)}?returnFieldsByFieldId=true`,
  );
  return withFields(answer);
}

export async function createRecord(
  baseId: string,
  tableId: string,
  fields: Record<string, CellValue>,
): Promise<GridRecord> {
  const [record] = await createRecords(baseId, tableId, [fields]);
  if (!record) throw new ApiError(500, "The record was not created.");
  return record;
}

/** Create up to WRITE_BATCH records in one request, all or none; answered in order. */
export async function createRecords(
  baseId: string,
  tableId: string,
  records: Record<string, CellValue>[],
): Promise<GridRecord[]> {
  const answer = await apiJson<{ records?: GridRecord[] }>(
    `/v0/${enc(baseId)}/${enc(tableId)}`,
    jsonBody("POST", { records: records.map((fields) => ({ fields })), returnFieldsByFieldId: true }),
  );
  return (answer.records ?? []).map(withFields);
}

/** Set some cells of one record; the answer is the whole record as stored. */
export async function updateRecord(
  baseId: string,
  tableId: string,
  recordId: string,
  fields: Record<string, CellValue>,
): Promise<GridRecord> {
  const [record] = await updateRecords(baseId, tableId, [{ id: recordId, fields }]);
  if (!record) throw new ApiError(500, "The record was not updated.");
  return record;
}

/** Set cells of up to WRITE_BATCH records in one request, all or none; answered in order. */
export async function updateRecords(
  baseId: string,
  tableId: string,
  records: { id: string; fields: Record<string, CellValue> }[],
): Promise<GridRecord[]> {
  const answer = await apiJson<{ records?: GridRecord[] }>(
    `/v0/${enc(baseId)}/${enc(tableId)}`,
    jsonBody("PATCH", { records, returnFieldsByFieldId: true }),
  );
  return (answer.records ?? []).map(withFields);
}

function withFields(record: GridRecord): GridRecord {
  return { ...record, fields: record.fields ?? {} };
}

/** Delete up to WRITE_BATCH records in one request. */
export async function deleteRecords(baseId: string, tableId: string, recordIds: string[]): Promise<void> {
  const query = recordIds.map((id) => `records[]=${enc(id)}`).join("&");
  await apiJson(`/v0/${enc(baseId)}/${enc(tableId)}?${query}`, { method: "DELETE" });
}

/** Follow a table's changes (Server-Sent Events read with fetch, since EventSource cannot send
 * Authorization) until `signal` aborts; reconnects from the last cursor after a failure. */
export async function watchTable(
  baseId: string,
  tableId: string,
  cursor: string,
  onMessage: (message: WatchTableResponse) => void,
  signal: AbortSignal,
): Promise<void> {
  let position = cursor;
  let backoffMs = 1_000;
  while (!signal.aborted) {
    try {
      const query = position ? `?cursor=${enc(position)}` : "";
      const response = await authorizedFetch(
        `/v1/web/bases/${enc(baseId)}/tables/${enc(tableId)}/changes${query}`,
        { signal, headers: { Accept: "text/event-stream" } },
      );
      if (response.status === 403 || response.status === 404) {
        return; // Nothing to follow: no longer readable.
      }
      if (!response.ok || !response.body) throw new ApiError(response.status, "changes feed failed");
      backoffMs = 1_000;
      for await (const data of sseData(response.body)) {
        const message = JSON.parse(data) as WatchTableResponse;
        if (message.cursor) position = message.cursor;
        onMessage(message);
      }
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ApiError && error.status === 401) return;
    }
    await new Promise((resolve) => setTimeout(resolve, backoffMs));
    backoffMs = Math.min(backoffMs * 2, 30_000);
  }
}

/** The `data:` payloads of an SSE stream, one per event (multi-line data joined by "\n"). */
export async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffer.search(/\r?\n/)) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(buffer[newline] === "\r" ? newline + 2 : newline + 1);
        if (line === "") {
          if (data.length) yield data.join("\n");
          data = [];
        } else if (line.startsWith("data:")) {
          data.push(line.slice(5).replace(/^ /, ""));
        }
      }
    }
    if (data.length) yield data.join("\n");
  } finally {
    reader.releaseLock();
  }
}
