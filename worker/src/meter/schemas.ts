import { z } from "@hono/zod-openapi";

// The meter's reports as they appear on the wire (deep health, the project's usage).

const DeadLetterEntry = z
  .object({
    id: z.number(),
    at: z.string(),
    error: z.string().openapi({ description: "SQLSTATE and Postgres' message, quoted values cut out" }),
    kind: z.string().nullable(),
    eventId: z.string().nullable(),
    row: z.string().openapi({ description: "The refused row as buffered, cut to 4 KB" }),
  })
  .openapi("DeadLetterEntry");

export const DeadLetters = z
  .object({ count: z.number(), recent: z.array(DeadLetterEntry).openapi({ description: "Newest first" }) })
  .openapi("DeadLetters", {
    description: "Rows Postgres refused as data, kept by the project's meter instead of blocking its flush",
  });
