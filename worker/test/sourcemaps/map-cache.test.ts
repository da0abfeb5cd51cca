import { describe, expect, it } from "vitest";
import { MapCache } from "../../src/sourcemaps/map-cache.ts";
import type { LoadedMap } from "../../src/sourcemaps/symbolicate.ts";

const entry = () => ({ lines: new Map() }) as unknown as LoadedMap;

describe("the isolate's map cache", () => {
  it("stays within its byte budget, evicting the least recently used first", () => {
    const cache = new MapCache(100);
    cache.set("a", entry(), 40);
    cache.set("b", entry(), 40);
    expect(cache.get("a")).toBeDefined(); // a is now the most recent
    cache.set("c", entry(), 40);
    expect(cache.bytes).toBeLessThanOrEqual(100);
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")).toBeDefined();
    expect(cache.get("c")).toBeDefined();
  });

  it("never keeps an entry larger than the whole budget, and replacing a key does not double-count", () => {
    const cache = new MapCache(100);
    cache.set("huge", entry(), 101);
    expect(cache.size).toBe(0);
    cache.set("a", entry(), 60);
    cache.set("a", entry(), 70);
    expect(cache.bytes).toBe(70);
    expect(cache.size).toBe(1);
  });
});
