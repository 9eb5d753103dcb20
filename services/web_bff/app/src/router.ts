// A tiny history router: web-bff answers every extension-less path with index.html, so the
// app's routes are real URLs (/bases/app…/tables/tbl…) that survive a reload.

import { useSyncExternalStore } from "react";

export type Route =
  | { name: "home" }
  | { name: "signIn" }
  | { name: "signUp" }
  | { name: "base"; baseId: string; tableId?: string }
  | { name: "tokens" }
  | { name: "notFound" };

export function parseRoute(path: string): Route {
  if (path === "/" || path === "") return { name: "home" };
  if (path === "/signin") return { name: "signIn" };
  if (path === "/signup") return { name: "signUp" };
  if (path === "/tokens") return { name: "tokens" };
  const base = /^\/bases\/([^/]+)(?:\/tables\/([^/]+))?\/?$/.exec(path);
  if (base?.[1]) {
    return {
      name: "base",
      baseId: decodeURIComponent(base[1]),
      tableId: base[2] ? decodeURIComponent(base[2]) : undefined,
    };
  }
  return { name: "notFound" };
}

export function pathOf(route: Route): string {
  switch (route.name) {
    case "home":
      return "/";
    case "signIn":
      return "/signin";
    case "signUp":
      return "/signup";
    case "tokens":
      return "/tokens";
    case "base":
      return route.tableId
        ? `/bases/${encodeURIComponent(route.baseId)}/tables/${encodeURIComponent(route.tableId)}`
        : `/bases/${encodeURIComponent(route.baseId)}`;
    case "notFound":
      return "/";
  }
}

const listeners = new Set<() => void>();
window.addEventListener("popstate", () => listeners.forEach((l) => l()));

export function navigate(path: string, { replace = false } = {}): void {
  if (path === window.location.pathname) return;
  if (replace) window.history.replaceState(null, "", path);
  else window.history.pushState(null, "", path);
  listeners.forEach((l) => l());
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function usePath(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}

/** A link that navigates without reloading the page (and still opens in a new tab). */
export function linkProps(path: string): { href: string; onClick: (e: React.MouseEvent) => void } {
  return {
    href: path,
    onClick: (event: React.MouseEvent) => {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      navigate(path);
    },
  };
}
