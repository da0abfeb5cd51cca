/** Every bound ingest enforces, in one place (documented in README.md → Ingest limits). */
export const INGEST_LIMITS = {
  /** Bytes on the wire, compressed or not. */
  wireBytes: 200 * 1024,
  /** Bytes after `Content-Encoding: gzip` is undone. */
  decodedBytes: 1024 * 1024,
  batchItems: 100,
  nameLength: 200,
  appLength: 128,
  shortString: 200,
  urlLength: 2048,
  messageLength: 8 * 1024,
  stackLength: 64 * 1024,
  frames: 100,
  breadcrumbs: 100,
  fingerprintParts: 10,
  tags: 50,
  /** Arbitrary JSON (properties, context, breadcrumb data): depth, keys per object, total nodes, size. */
  jsonDepth: 6,
  jsonKeysPerObject: 100,
  jsonNodes: 2_000,
  jsonBytes: 32 * 1024,
  /** Client timestamps further from the server clock than this are replaced by it and flagged. */
  maxFutureSkewMs: 60 * 60 * 1000,
  maxPastAgeMs: 30 * 24 * 60 * 60 * 1000,
} as const;
