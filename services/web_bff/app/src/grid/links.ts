// The names link cells show: linked records' primary values, fetched in batches for the cells
// on screen and cached by record id for as long as the grid is open. Also the base's tables,
// which the link picker and the field menu need.

import { createContext, useContext, useEffect, useSyncExternalStore } from "react";
import { listTables } from "../api/client";
import { LOOKUP_BATCH, namesOf, type NamedRecord } from "../api/fields";
import type { Table } from "../api/types";

export class LinkNames {
  // A record's primary value; null once it is known to be gone.
  private names = new Map<string, string | null>();
  // Ids asked for and not fetched yet, by table; and ids whose lookup failed (not retried).
  private wanted = new Map<string, Set<string>>();
  private asked = new Set<string>();
  private tables: Promise<Table[]> | null = null;
  private listeners = new Set<() => void>();
  private version = 0;

  constructor(readonly baseId: string) {}

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  snapshot = (): number => this.version;

  /** The base's tables; read again when `fresh` (a table may have been added since). */
  tablesOfBase(fresh = false): Promise<Table[]> {
    if (!this.tables || fresh) {
      this.tables = listTables(this.baseId);
      this.tables.catch(() => (this.tables = null));
    }
    return this.tables;
  }

  async table(tableId: string): Promise<Table> {
    const found = (await this.tablesOfBase()).find((t) => t.id === tableId);
    if (found) return found;
    const again = (await this.tablesOfBase(true)).find((t) => t.id === tableId);
    if (!again) throw new Error("The linked table is no longer in this base.");
    return again;
  }

  /** A record's name: undefined while unknown, null when the record is gone. */
  nameOf(recordId: string): string | null | undefined {
    return this.names.get(recordId);
  }

  remember(records: NamedRecord[]): void {
    for (const r of records) this.names.set(r.id, r.name);
    this.changed();
  }

  /** Look up the names not known yet, in one batch for all the cells that ask in a tick. */
  request(tableId: string, recordIds: readonly string[]): void {
    const unknown = recordIds.filter((id) => !this.names.has(id) && !this.asked.has(id));
    if (!unknown.length) return;
    const batch = this.wanted.get(tableId) ?? new Set<string>();
    const idle = this.wanted.size === 0;
    for (const id of unknown) {
      batch.add(id);
      this.asked.add(id);
    }
    this.wanted.set(tableId, batch);
    if (idle) setTimeout(() => void this.fetchWanted(), 0);
  }

  private async fetchWanted(): Promise<void> {
    const wanted = [...this.wanted];
    this.wanted.clear();
    await Promise.all(
      wanted.map(async ([tableId, ids]) => {
        const all = [...ids];
        const table = await this.table(tableId).catch(() => null);
        if (!table) return;
        for (let i = 0; i < all.length; i += LOOKUP_BATCH) {
          const chunk = all.slice(i, i + LOOKUP_BATCH);
          try {
            const found = await namesOf(this.baseId, table, chunk);
            for (const id of chunk) this.names.set(id, null);
            this.remember(found);
          } catch {
            // Left unknown: the cell keeps showing that it has links, without their names.
          }
        }
      }),
    );
  }

  private changed(): void {
    this.version++;
    for (const listener of this.listeners) listener();
  }
}

export const LinksContext = createContext<LinkNames | null>(null);

export function useLinks(): LinkNames | null {
  return useContext(LinksContext);
}

/** The names of `recordIds` (records of `tableId`), looked up as needed. */
export function useLinkNames(tableId: string, recordIds: readonly string[]): (id: string) => string | null | undefined {
  const links = useLinks();
  useSyncExternalStore(links?.subscribe ?? noSubscription, links?.snapshot ?? zero);
  const key = recordIds.join(",");
  useEffect(() => {
    if (links && tableId && key) links.request(tableId, key.split(","));
  }, [links, tableId, key]);
  return (id) => links?.nameOf(id);
}

const noSubscription = () => () => {};
const zero = () => 0;

/** A link cell's record ids, from its stored value or an editor's draft. */
export function linkIds(value: unknown): string[] {
  if (typeof value === "string") {
    const text = value.trim();
    if (text.startsWith("[")) {
      try {
        return linkIds(JSON.parse(text));
      } catch {
        return [];
      }
    }
    return text.split(",").map((s) => s.trim()).filter(Boolean);
  }
  if (!Array.isArray(value)) return [];
  return value.map((v) => (typeof v === "string" ? v : String((v as { id?: unknown })?.id ?? ""))).filter(Boolean);
}
