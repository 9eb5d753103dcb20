// The grid's rows for one query: how many there are from the start, and pages of 100 fetched
// by position (web-bff's GetGridRows) as they come into view, each once, a few at a time.

import { getGridRows, PAGE_SIZE } from "../api/client";
import { describe } from "../api/errors";
import type { GridRecord } from "../api/types";
import type { RowsQuery } from "../views/query";

/** Rows by position, as long as the query's total; a hole is a row not loaded yet. */
export type Rows = readonly (GridRecord | undefined)[];

// Pages asked for at once: enough for the view and the page ahead, few enough to stay polite.
const MAX_IN_FLIGHT = 3;

export class RowLoader {
  private rows: (GridRecord | undefined)[] = [];
  // Pages answered (by page number), so that a page is not fetched twice.
  private fetched = new Set<number>();
  private inFlight = new Map<number, AbortController>();
  private view = { first: 0, last: 0 };
  private closed = false;

  constructor(
    private readonly baseId: string,
    private readonly tableId: string,
    private readonly query: RowsQuery,
    /** Told the rows after every change, as a new array. */
    private readonly onRows: (rows: Rows) => void,
    private readonly onError: (message: string) => void,
  ) {}

  /** Start from the first page already at hand (GetGrid's) and the query's total. */
  seed(records: GridRecord[], total: number): void {
    this.rows = new Array<GridRecord | undefined>(total);
    records.forEach((record, i) => (this.rows[i] = record));
    this.fetched.add(0);
    this.publish();
  }

  /** The rows in view: fetch the pages they need, and the page after, dropping stale ones. */
  show(first: number, last: number): void {
    this.view = { first, last };
    const wanted = this.pagesWanted();
    for (const [page, abort] of this.inFlight) {
      if (!wanted.includes(page)) {
        abort.abort();
        this.inFlight.delete(page);
      }
    }
    for (const page of wanted) {
      if (this.inFlight.size >= MAX_IN_FLIGHT) break;
      if (this.needs(page)) this.fetch(page);
    }
  }

  /** Stop fetching: the query or the screen changed. */
  close(): void {
    this.closed = true;
    for (const abort of this.inFlight.values()) abort.abort();
    this.inFlight.clear();
  }

  positionOf(recordId: string): number {
    return this.rows.findIndex((r) => r?.id === recordId);
  }

  /** Change a loaded record; false when it is not loaded. */
  update(recordId: string, make: (record: GridRecord) => GridRecord): boolean {
    const index = this.positionOf(recordId);
    const record = this.rows[index];
    if (!record) return false;
    this.rows[index] = make(record);
    this.publish();
    return true;
  }

  /** A record gone: the rows after it move up one. */
  remove(recordId: string): void {
    const index = this.positionOf(recordId);
    if (index < 0) return;
    this.rows.splice(index, 1);
    // A page that now ends in a hole (its last row moved up from an unloaded page) is due again.
    for (const page of this.fetched) {
      const end = Math.min(this.rows.length, (page + 1) * PAGE_SIZE) - 1;
      if (end >= index && this.rows[end] === undefined) this.fetched.delete(page);
    }
    this.publish();
    this.show(this.view.first, this.view.last);
  }

  /** A new record: at the end, once. */
  append(record: GridRecord): void {
    if (this.positionOf(record.id) >= 0) return;
    this.rows.push(record);
    this.publish();
  }

  private pagesWanted(): number[] {
    const { first, last } = this.view;
    const pages: number[] = [];
    const lastPage = Math.floor(Math.max(0, this.rows.length - 1) / PAGE_SIZE);
    const end = Math.min(lastPage, Math.floor(last / PAGE_SIZE) + 1);
    for (let page = Math.floor(first / PAGE_SIZE); page <= end; page++) pages.push(page);
    return pages;
  }

  private needs(page: number): boolean {
    if (this.inFlight.has(page) || this.fetched.has(page)) return false;
    // Nothing answered yet: the first page tells how many rows there are.
    return (page === 0 && this.fetched.size === 0) || this.hasHole(page);
  }

  private hasHole(page: number): boolean {
    const end = Math.min(this.rows.length, (page + 1) * PAGE_SIZE);
    for (let i = page * PAGE_SIZE; i < end; i++) if (this.rows[i] === undefined) return true;
    return false;
  }

  private fetch(page: number): void {
    const abort = new AbortController();
    this.inFlight.set(page, abort);
    const start = page * PAGE_SIZE;
    getGridRows(this.baseId, this.tableId, this.query, start, abort.signal)
      .then(({ records, total }) => {
        if (abort.signal.aborted || this.closed) return;
        this.fetched.add(page);
        // The answer's total is the truth; a short page means the table shrank meanwhile.
        const length = records.length < PAGE_SIZE ? Math.min(total, start + records.length) : total;
        this.rows.length = length;
        records.forEach((record, i) => {
          if (start + i < length) this.rows[start + i] = record;
        });
        this.publish();
      })
      .catch((error: unknown) => {
        if (abort.signal.aborted || this.closed) return;
        // Not asked again on every scroll: its rows stay placeholders, and the error is shown.
        this.fetched.add(page);
        this.onError(describe(error));
      })
      .finally(() => {
        if (this.inFlight.get(page) === abort) this.inFlight.delete(page);
        if (!this.closed) this.show(this.view.first, this.view.last);
      });
  }

  private publish(): void {
    if (!this.closed) this.onRows(this.rows.slice());
  }
}
