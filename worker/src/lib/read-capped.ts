/**
 * Reads a body stream to the end, refusing it the moment it crosses `maxBytes` (or `inspect`
 * refuses a chunk): the stream is cancelled then, so the rest is never pulled and an oversize body
 * costs at most the limit in memory, whatever Content-Length claims. The caller names its refusal.
 */
export async function readCapped(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
  tooLarge: () => Error,
  inspect?: (chunk: Uint8Array) => Error | undefined,
): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    const refusal = total > maxBytes ? tooLarge() : inspect?.(value);
    if (refusal) {
      await reader.cancel().catch(() => {});
      throw refusal;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}
