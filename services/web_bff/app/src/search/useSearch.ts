// The search screen's data: hits for what is typed (debounced, the previous request aborted
// when a newer one starts) and the base's index status (asked again while records wait).

import { useEffect, useState } from "react";
import { describe } from "../api/errors";
import { getIndexStatus, searchBase, type IndexProgress, type SearchHit } from "../api/search";

// Wait this long after the last key before searching.
const SEARCH_DELAY_MS = 250;
// How many hits to ask for.
const HIT_COUNT = 20;
// How often to ask again while records are waiting to be indexed.
const STATUS_EVERY_MS = 2_000;

export type Results =
  | { state: "idle" }
  | { state: "loading"; hits: SearchHit[] }
  | { state: "done"; hits: SearchHit[] }
  | { state: "error"; message: string };

/** Hybrid (meaning and words) hits for `text` in the base, or in `tableId` when given. */
export function useSearch(baseId: string, text: string, tableId: string): Results {
  const [results, setResults] = useState<Results>({ state: "idle" });
  const query = text.trim();

  useEffect(() => {
    if (!query) {
      setResults({ state: "idle" });
      return;
    }
    // Keep the last hits in view while the next ones come, so the list does not flicker.
    setResults((old) => ({ state: "loading", hits: "hits" in old ? old.hits : [] }));
    const abort = new AbortController();
    const timer = setTimeout(() => {
      searchBase(baseId, { query, table: tableId, k: HIT_COUNT, mode: "SEARCH_MODE_HYBRID" }, abort.signal).then(
        (hits) => !abort.signal.aborted && setResults({ state: "done", hits }),
        (e: unknown) => {
          if (!abort.signal.aborted) setResults({ state: "error", message: describe(e) });
        },
      );
    }, SEARCH_DELAY_MS);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [baseId, query, tableId]);

  return results;
}

/** The base's index status while `active`, asked again every few seconds while records wait;
 * null until known (or when it could not be read: the search itself then says why). */
export function useIndexStatus(baseId: string, active: boolean): IndexProgress | null {
  const [status, setStatus] = useState<IndexProgress | null>(null);

  useEffect(() => {
    if (!active) return;
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ask = () => {
      getIndexStatus(baseId, abort.signal).then(
        (answer) => {
          setStatus(answer);
          if (answer.pending > 0) timer = setTimeout(ask, STATUS_EVERY_MS);
        },
        () => !abort.signal.aborted && setStatus(null),
      );
    };
    ask();
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [baseId, active]);

  return status;
}
