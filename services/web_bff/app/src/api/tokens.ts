// Personal access tokens, the caller's own (auth-service's transcoded /v1/auth/tokens), typed by
// the generated contract; and what an AI client needs to reach the bases with one over MCP.

import type { components, operations } from "./openapi.gen";
import { apiJson, jsonBody } from "./session";

type Schemas = components["schemas"];
type Created = operations["AuthService_CreatePersonalAccessToken"]["responses"][200]["content"]["application/json"];
type Listed = operations["AuthService_ListPersonalAccessTokens"]["responses"][200]["content"]["application/json"];

export type PersonalToken = Schemas["pyat.auth.v1.PersonalAccessToken"];
export type NewToken = Schemas["pyat.auth.v1.CreatePersonalAccessTokenRequest"];

/** The scopes the app offers, with the words people read. */
export const SCOPE_CHOICES: { scope: string; label: string }[] = [
  { scope: "data.records:read", label: "Read records" },
  { scope: "data.records:write", label: "Change records" },
  { scope: "schema.bases:read", label: "Read the schema (tables and fields)" },
  { scope: "schema.bases:write", label: "Change the schema" },
];

export const PRESETS: { label: string; scopes: string[] }[] = [
  { label: "Read only", scopes: ["data.records:read", "schema.bases:read"] },
  { label: "Read and write", scopes: SCOPE_CHOICES.map((c) => c.scope) },
];

/** Lifetimes to choose from, in days (0: never expires; auth-service allows up to 365). */
export const EXPIRY_CHOICES: { days: number; label: string }[] = [
  { days: 0, label: "Never" },
  { days: 7, label: "In 7 days" },
  { days: 30, label: "In 30 days" },
  { days: 90, label: "In 90 days" },
  { days: 365, label: "In a year" },
];

export function scopeLabel(scope: string): string {
  return SCOPE_CHOICES.find((c) => c.scope === scope)?.label ?? scope;
}

export async function listTokens(): Promise<PersonalToken[]> {
  const answer = await apiJson<Listed>("/v1/auth/tokens");
  return answer.personal_access_tokens ?? [];
}

/** A new token and its secret, which the server shows this once. */
export async function createToken(request: NewToken): Promise<{ secret: string; token: PersonalToken }> {
  const answer = await apiJson<Created>("/v1/auth/tokens", jsonBody("POST", request));
  return { secret: answer.token ?? "", token: answer.personal_access_token ?? {} };
}

export async function revokeToken(tokenId: string): Promise<void> {
  await apiJson(`/v1/auth/tokens/${encodeURIComponent(tokenId)}`, { method: "DELETE" });
}

/** Where HTTP MCP clients connect: the edge this app is served from. */
export function mcpUrl(): string {
  return `${window.location.origin}/mcp`;
}

/** Where the app's user checked PyAirtable out is unknown here: they replace this. */
export const PYAT_COMMAND_PLACEHOLDER = "/path/to/PyAirtable/.venv/bin/pyat";

/** Claude Desktop's claude_desktop_config.json for `pyat mcp` (stdio) with this token, as the
 * README writes it. */
export function claudeDesktopConfig(secret: string): string {
  const config = {
    mcpServers: {
      pyairtable: {
        command: PYAT_COMMAND_PLACEHOLDER,
        args: ["mcp"],
        env: { PYAT_URL: window.location.origin, PYAT_TOKEN: secret },
      },
    },
  };
  return JSON.stringify(config, null, 2);
}
