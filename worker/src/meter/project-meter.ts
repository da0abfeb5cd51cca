import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../env.ts";

/** One per project: quota, rate and the durable buffer of accepted rows (see DESIGN.md §4). */
export class ProjectMeter extends DurableObject<Bindings> {
  /** Buffered rows not yet in Postgres, and the last flush error, for `/health?deep=1` and tests. */
  async stats(): Promise<{ bufferedRows: number; lastFlushError: string | null }> {
    return { bufferedRows: 0, lastFlushError: null };
  }

  async revokeKey(_publicId: string): Promise<void> {}
}
