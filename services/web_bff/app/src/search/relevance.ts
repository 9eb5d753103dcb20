// A hit's relevance in words people read: how close its meaning is (cosine similarity, as the
// embedding model gives it) and whether it holds the words typed (the keyword ranking found it).

import type { SearchHit } from "../api/search";

// MiniLM-like models put paraphrases above ~0.5 and loosely related texts around 0.2-0.4.
const CLOSE = 0.5;
const RELATED = 0.3;

export interface Relevance {
  /** "Close match", "Related", "Loose match", or "" when only the words ranked it. */
  meaning: string;
  /** Whether the record holds the words typed. */
  words: boolean;
  /** 0 to 1, for the bar beside the hit. */
  strength: number;
}

export function relevanceOf(hit: SearchHit): Relevance {
  const similarity = hit.similarity ?? 0;
  const byMeaning = (hit.semantic_rank ?? 0) > 0;
  const meaning = !byMeaning ? "" : similarity >= CLOSE ? "Close match" : similarity >= RELATED ? "Related" : "Loose match";
  const words = (hit.keyword_rank ?? 0) > 0;
  return { meaning, words, strength: Math.max(byMeaning ? similarity : 0, words ? 0.5 : 0, 0.05) };
}

/** The hint as one phrase: "Close match, has your words". */
export function relevanceText({ meaning, words }: Relevance): string {
  const parts = [meaning, words ? (meaning ? "has your words" : "Has your words") : ""].filter(Boolean);
  return parts.join(", ") || "Match";
}
