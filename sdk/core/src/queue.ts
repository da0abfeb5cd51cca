import type { Category, QueueStorage, WireItem } from "./types.ts";

/** A queued item and how many failed attempts it has used up. */
export interface QueueEntry {
  item: WireItem;
  tries: number;
}

/**
 * The bounded waiting line of items, mirrored to the platform's storage (the browser's offline
 * queue) after every delivery round, as sentry-javascript's offline transport keeps its store.
 * Full means the oldest items go; the caller counts them.
 */
export class Queue {
  entries: QueueEntry[] = [];
  private readonly storage?: QueueStorage;
  /** Whether storage may hold items, so an empty queue clears it once and then stays quiet. */
  private stored = false;

  constructor(storage?: QueueStorage) {
    this.storage = storage;
    for (const item of storage?.load() ?? []) this.entries.push({ item, tries: 0 });
    this.stored = this.entries.length > 0;
  }

  get length(): number {
    return this.entries.length;
  }

  /** Adds an item; answers how many of the oldest were pushed out beyond `max`. */
  push(item: WireItem, max: number): number {
    const entries = this.entries;
    entries.push({ item, tries: 0 });
    return entries.length > max ? entries.splice(0, entries.length - max).length : 0;
  }

  /** Takes up to `size` items, oldest first, skipping categories that are on hold. */
  take(size: number, isHeld: (category: Category) => boolean): QueueEntry[] {
    const batch: QueueEntry[] = [];
    this.entries = this.entries.filter((entry) => {
      const take = batch.length < size && !isHeld(entry.item.type);
      if (take) batch.push(entry);
      return !take;
    });
    return batch;
  }

  /** Puts items back at the front, for the next attempt. */
  putBack(entries: QueueEntry[]): void {
    this.entries.unshift(...entries);
  }

  /** The categories waiting, for the timer to find the nearest moment anything may be sent. */
  categories(): Category[] {
    return this.entries.map((entry) => entry.item.type);
  }

  /** Writes what is still waiting, so the platform's storage always mirrors undelivered items. */
  persist(): void {
    if (!this.storage || (!this.stored && !this.entries.length)) return;
    this.storage.save(this.entries.map((entry) => entry.item));
    this.stored = this.entries.length > 0;
  }
}
