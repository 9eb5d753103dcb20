// Hand-written mirrors of the proto messages the app uses, as Envoy's transcoder writes them
// (proto field names, snake_case; int64 as strings; enums by name). They follow
// proto/pyat/**/v1/*.proto; once gen/openapi.json exists, generate these from it instead.

/** pyat.permission.v1.Role */
export type Role =
  | "ROLE_UNSPECIFIED"
  | "ROLE_READ_ONLY"
  | "ROLE_COMMENTER"
  | "ROLE_EDITOR"
  | "ROLE_CREATOR"
  | "ROLE_OWNER";

const ROLE_RANK: Record<Role, number> = {
  ROLE_UNSPECIFIED: 0,
  ROLE_READ_ONLY: 1,
  ROLE_COMMENTER: 2,
  ROLE_EDITOR: 3,
  ROLE_CREATOR: 4,
  ROLE_OWNER: 5,
};

/** Whether `role` is at least `needed` (owner > creator > editor > commenter > read-only). */
export function roleAtLeast(role: Role | undefined, needed: Role): boolean {
  return ROLE_RANK[role ?? "ROLE_UNSPECIFIED"] >= ROLE_RANK[needed];
}

/** pyat.user.v1.User */
export interface User {
  id: string;
  tenant_id?: string;
  email?: string;
  name?: string;
}

/** pyat.workspace.v1.Workspace */
export interface Workspace {
  id: string;
  tenant_id?: string;
  name: string;
  created_by?: string;
  created_at?: string;
  my_role?: Role;
}

/** pyat.workspace.v1.Base */
export interface Base {
  id: string;
  tenant_id?: string;
  workspace_id: string;
  name: string;
  created_by?: string;
  created_at?: string;
  my_role?: Role;
}

/** pyat.schema.v1.Field; `options` is Airtable's options object for the type. */
export interface Field {
  id: string;
  name: string;
  type: string;
  description?: string;
  options?: FieldOptions;
}

export interface Choice {
  id?: string;
  name: string;
  color?: string;
}

export interface FieldOptions {
  choices?: Choice[];
  precision?: number;
  formula?: string;
  [key: string]: unknown;
}

/** pyat.schema.v1.View */
export interface View {
  id: string;
  name: string;
  type?: string;
  filter_by_formula?: string;
  sorts?: { field_id: string; direction?: string }[];
  visible_field_ids?: string[];
}

/** pyat.schema.v1.Table */
export interface Table {
  id: string;
  base_id?: string;
  name: string;
  description?: string;
  primary_field_id: string;
  fields: Field[];
  views?: View[];
  version?: string;
}

/** pyat.schema.v1.FieldSpec */
export interface FieldSpec {
  name: string;
  type: string;
  description?: string;
  options?: FieldOptions;
}

export type CellValue = unknown;

/** A record with its cells keyed by field id (pyat.airtable.v1.Record, or Airtable's JSON). */
export interface GridRecord {
  id: string;
  createdTime?: string;
  fields: Record<string, CellValue>;
}

/** pyat.airtable.v1.ChangeKind */
export type ChangeKind =
  | "CHANGE_KIND_UNSPECIFIED"
  | "CHANGE_KIND_CREATED"
  | "CHANGE_KIND_UPDATED"
  | "CHANGE_KIND_DELETED";

/** pyat.airtable.v1.Record as transcoded (created_time, not Airtable's createdTime). */
export interface ProtoRecord {
  id: string;
  created_time?: string;
  fields?: Record<string, CellValue>;
}

/** pyat.airtable.v1.RecordChange */
export interface RecordChange {
  cursor: string;
  kind: ChangeKind;
  table_id: string;
  record_id: string;
  changed_at?: string;
  actor_id?: string;
  changed_field_ids?: string[];
  record?: ProtoRecord;
}

/** pyat.webbff.v1.Partial */
export interface Partial {
  section: string;
  reason: string;
}

/** pyat.webbff.v1.GetHomeResponse */
export interface HomeResponse {
  me?: { user_id: string; tenant_id: string; email: string; name: string };
  workspaces?: { workspace: Workspace; bases?: Base[] }[];
  recent_activity?: {
    base_id: string;
    base_name: string;
    table_id: string;
    record_id: string;
    kind: ChangeKind;
    actor_id: string;
    at?: string;
  }[];
  partial?: Partial[];
}

/** pyat.webbff.v1.GetGridResponse */
export interface GridResponse {
  base?: Base;
  table: Table;
  records?: ProtoRecord[];
  offset?: string;
  role?: Role;
  cursor?: string;
  partial?: Partial[];
  /** How many records the view shows over all pages. */
  total?: number;
}

/** pyat.webbff.v1.GetGridRowsResponse */
export interface GridRowsResponse {
  records?: ProtoRecord[];
  total?: number;
}

/** pyat.webbff.v1.WatchTableResponse */
export interface WatchTableResponse {
  change?: RecordChange;
  cursor: string;
}

/** The session answers of web-bff's /app/session routes. */
export interface SessionResponse {
  access_token: string;
  expires_in: number;
  user?: User;
}
