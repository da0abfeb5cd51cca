import { TraceMap } from "@jridgewell/trace-mapping";
import type { LoadedMap } from "./symbolicate.ts";

/**
 * Parsed maps kept in memory for the isolate's life (the ProjectMeter's isolate, where
 * symbolication runs at flush): a release's errors arrive in bursts, and parsing a 2 MB map costs
 * far more than resolving 30 frames with it. Bounded by the maps' byte size, least recently used
 * first out. Sizes are estimated heap (see MAP_MEMORY_FACTOR).
 */
export class MapCache {
  private readonly entries = new Map<string, { loaded: LoadedMap; bytes: number }>();
  private totalBytes = 0;

  readonly budgetBytes: number;

  constructor(budgetBytes: number) {
    this.budgetBytes = budgetBytes;
  }

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  get(key: string): LoadedMap | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    // Re-insert: Map iteration order is insertion order, so the first entry is the least recently used.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.loaded;
  }

  set(key: string, loaded: LoadedMap, bytes: number): void {
    const previous = this.entries.get(key);
    if (previous) {
      this.entries.delete(key);
      this.totalBytes -= previous.bytes;
    }
    // A map larger than the whole budget is used for this batch but not kept.
    if (bytes > this.budgetBytes) return;
    this.entries.set(key, { loaded, bytes });
    this.totalBytes += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.totalBytes <= this.budgetBytes) break;
      this.entries.delete(oldest);
      this.totalBytes -= entry.bytes;
    }
  }

  clear(): void {
    this.entries.clear();
    this.totalBytes = 0;
  }
}

/**
 * A parsed map with its mappings decoded holds about 7.5× its JSON size (bench:sourcemaps: 15 MB of
 * heap for a 2 MB map), so entries are charged at 8× their bytes.
 */
export const MAP_MEMORY_FACTOR = 8;

/** Estimated heap kept for parsed maps per isolate: a few typical maps, well inside the 128 MB limit. */
export const MAP_CACHE_BUDGET_BYTES = 40 * 1024 * 1024;

// Isolate-lifetime: parsed maps are reused by every flush this isolate runs (see MapCache).
export const isolateMapCache = new MapCache(MAP_CACHE_BUDGET_BYTES);

/** Counts R2 reads and parses, so tests can show the cache holds. */
export const mapLoadStats = { r2Reads: 0, parses: 0 };

export function parseLoadedMap(text: string): LoadedMap {
  mapLoadStats.parses++;
  return { map: new TraceMap(text), lines: new Map() };
}
