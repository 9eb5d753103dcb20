// The session: the access token lives in this module's memory only (never in storage); the
// refresh token is an HttpOnly cookie that only web-bff's /app/session routes read.

import { ApiError, errorFrom } from "./errors";
import type { SessionResponse, User } from "./types";

export type SessionStatus = "restoring" | "signedIn" | "signedOut";

export interface SessionState {
  status: SessionStatus;
  user: User | null;
}

// Refresh this long before the access token expires, so calls never race its expiry.
const REFRESH_EARLY_MS = 60_000;
const MIN_REFRESH_DELAY_MS = 5_000;

let accessToken: string | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let refreshing: Promise<boolean> | null = null;
let state: SessionState = { status: "restoring", user: null };
const listeners = new Set<() => void>();

function setState(next: SessionState): void {
  state = next;
  for (const listener of listeners) listener();
}

export function getSession(): SessionState {
  return state;
}

export function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function post(path: string, body: unknown, bearer?: string): Promise<Response> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  return fetch(path, {
    method: "POST",
    headers,
    body: JSON.stringify(body ?? {}),
    credentials: "same-origin",
  });
}

function adopt(session: SessionResponse): void {
  accessToken = session.access_token;
  clearTimeout(refreshTimer);
  const lifetimeMs = Math.max(0, session.expires_in * 1000);
  // Early by a minute, or at 80% of a short lifetime.
  const delay = Math.max(
    MIN_REFRESH_DELAY_MS,
    Math.min(lifetimeMs - REFRESH_EARLY_MS, lifetimeMs * 0.8),
  );
  refreshTimer = setTimeout(() => void refresh(), delay);
  setState({ status: "signedIn", user: session.user ?? state.user });
}

function forget(): void {
  accessToken = null;
  clearTimeout(refreshTimer);
  setState({ status: "signedOut", user: null });
}

async function start(path: string, body: unknown): Promise<void> {
  const response = await post(path, body);
  if (!response.ok) throw await errorFrom(response);
  adopt((await response.json()) as SessionResponse);
}

/** A new account: in a tenant of its own, or with `invitationToken` in the inviting one. */
export function signUp(email: string, password: string, name: string, invitationToken = ""): Promise<void> {
  return start("/app/session/signup", { email, password, name, invitation_token: invitationToken });
}

export function signIn(email: string, password: string): Promise<void> {
  return start("/app/session/login", { email, password });
}

/** Get a new access token with the refresh cookie; false (and signed out) when it is gone.
 * Concurrent callers share one request, since the server rotates the refresh token. */
export function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      const response = await post("/app/session/refresh", {});
      if (!response.ok) {
        forget();
        return false;
      }
      adopt((await response.json()) as SessionResponse);
      return true;
    } catch {
      // Unreachable server: signed out for now; the sign-in screen says why when used.
      forget();
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

export async function signOut(): Promise<void> {
  const token = accessToken;
  try {
    if (token) {
      const response = await post("/app/session/logout", {}, token);
      if (!response.ok && response.status !== 401) throw await errorFrom(response);
    }
  } finally {
    forget();
  }
}

function withBearer(init: RequestInit, token: string): RequestInit {
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${token}`);
  if (init.body !== undefined && !headers.has("Content-Type")) {
    headers.set("Content-Type", "application/json");
  }
  return { ...init, headers, credentials: "same-origin" };
}

/** fetch() as the signed-in user: on a 401, refresh once and try again. */
export async function authorizedFetch(path: string, init: RequestInit = {}): Promise<Response> {
  if (!accessToken && !(await refresh())) {
    throw new ApiError(401, "Your session has ended. Please sign in again.", "UNAUTHENTICATED");
  }
  const response = await fetch(path, withBearer(init, accessToken as string));
  if (response.status !== 401) return response;
  if (!(await refresh())) {
    throw new ApiError(401, "Your session has ended. Please sign in again.", "UNAUTHENTICATED");
  }
  return fetch(path, withBearer(init, accessToken as string));
}

/** The request options for sending `body` as JSON. */
export function jsonBody(method: string, body: unknown): RequestInit {
  return { method, body: JSON.stringify(body), headers: { "Content-Type": "application/json" } };
}

/** A JSON call as the signed-in user; throws ApiError with the server's message on failure. */
export async function apiJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await authorizedFetch(path, init);
  if (!response.ok) throw await errorFrom(response);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : {}) as T;
}

/** Set the user when the session answer did not carry one. */
export function setUser(user: User): void {
  if (state.status === "signedIn") setState({ status: "signedIn", user });
}
