import { createServer, type Server, type Socket } from "node:net";
import type { PGlite } from "@electric-sql/pglite";

/**
 * Serves one PGlite over the Postgres wire protocol to many connections.
 *
 * PGlite is a single backend, so the connections take turns. The unit of a turn must be a whole
 * protocol exchange, not a message: an extended query (Parse, Bind, Describe, Execute, Sync) that
 * another connection's Parse lands in the middle of binds the wrong statement. @electric-sql/pglite-socket
 * takes turns per message and only keeps a connection's turn inside explicit transactions, which
 * under concurrent load (the Worker opens several connections per page) answered queries with other
 * queries' results. Here a turn is every message up to a Sync, a simple Query or a Flush, and a
 * connection keeps the backend for as long as the last ReadyForQuery says a transaction is open.
 */
const SSL_REQUEST = 80877103;
const CANCEL_REQUEST = 80877102;
const TURN_ENDS = new Set(["S", "Q", "H", "c", "f"]);
const SYNC = Buffer.from([0x53, 0, 0, 0, 4]);
const ROLLBACK = (() => {
  const sql = Buffer.from("ROLLBACK\0");
  const header = Buffer.alloc(5);
  header.write("Q", 0);
  header.writeInt32BE(4 + sql.length, 1);
  return Buffer.concat([header, sql]);
})();

interface Connection {
  socket: Socket;
  buffer: Buffer;
  started: boolean;
  pending: Buffer[];
  closed: boolean;
}

interface Turn {
  connection: Connection;
  bytes: Buffer;
}

/** The transaction status of the last ReadyForQuery ('Z') in a response, if any. */
function lastReadyStatus(response: Buffer): string | null {
  let status: string | null = null;
  let offset = 0;
  while (offset + 5 <= response.length) {
    const type = String.fromCharCode(response[offset]);
    const length = response.readInt32BE(offset + 1);
    if (type === "Z" && offset + 6 <= response.length) status = String.fromCharCode(response[offset + 5]);
    offset += 1 + length;
  }
  return status;
}

export class PGliteWireServer {
  private readonly queue: Turn[] = [];
  /** The connection whose transaction (or unfinished exchange) holds the backend. */
  private owner: Connection | null = null;
  private running = false;
  private readonly connections = new Set<Connection>();
  private server: Server | undefined;
  private readonly db: PGlite;

  constructor(db: PGlite) {
    this.db = db;
  }

  async listen(port: number, host = "127.0.0.1"): Promise<void> {
    this.server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      this.server?.once("error", reject);
      this.server?.listen(port, host, () => resolve());
    });
  }

  async close(): Promise<void> {
    for (const connection of this.connections) connection.socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    const connection: Connection = { socket, buffer: Buffer.alloc(0), started: false, pending: [], closed: false };
    this.connections.add(connection);
    socket.on("data", (data) => {
      connection.buffer = Buffer.concat([connection.buffer, data]);
      this.split(connection);
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => void this.release(connection));
  }

  /** Cuts complete messages off the connection's buffer and queues a turn at each turn end. */
  private split(connection: Connection): void {
    const { socket } = connection;
    for (;;) {
      const buffer = connection.buffer;
      if (!connection.started) {
        if (buffer.length < 8) return;
        const length = buffer.readInt32BE(0);
        const code = buffer.readInt32BE(4);
        if (code === SSL_REQUEST) {
          connection.buffer = buffer.subarray(8);
          socket.write("N");
          continue;
        }
        if (buffer.length < length) return;
        connection.buffer = buffer.subarray(length);
        if (code === CANCEL_REQUEST) {
          socket.end();
          return;
        }
        connection.started = true;
        this.enqueue(connection, buffer.subarray(0, length));
        continue;
      }
      if (buffer.length < 5) return;
      const type = String.fromCharCode(buffer[0]);
      const total = 1 + buffer.readInt32BE(1);
      if (buffer.length < total) return;
      connection.buffer = buffer.subarray(total);
      if (type === "X") {
        socket.end();
        return;
      }
      connection.pending.push(buffer.subarray(0, total));
      if (TURN_ENDS.has(type)) {
        this.enqueue(connection, Buffer.concat(connection.pending));
        connection.pending = [];
      }
    }
  }

  private enqueue(connection: Connection, bytes: Buffer): void {
    this.queue.push({ connection, bytes: Buffer.from(bytes) });
    void this.drain();
  }

  private async execute(bytes: Buffer): Promise<Buffer> {
    const chunks: Uint8Array[] = [];
    await this.db.runExclusive(() =>
      this.db.execProtocolRawStream(new Uint8Array(bytes), { onRawData: (chunk) => chunks.push(chunk.slice()) }),
    );
    return Buffer.concat(chunks);
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const index = this.owner ? this.queue.findIndex((turn) => turn.connection === this.owner) : 0;
        if (index === -1) return; // the owner's next turn has not arrived yet
        const [turn] = this.queue.splice(index, 1);
        const response = await this.execute(turn.bytes).catch((error: Error) => {
          turn.connection.socket.destroy(error);
          return Buffer.alloc(0);
        });
        if (!turn.connection.closed) turn.connection.socket.write(response);
        const status = lastReadyStatus(response);
        // No ReadyForQuery yet (a Flush mid-exchange): the exchange is unfinished, so keep the turn.
        this.owner = status === "I" ? null : status === null && response.length === 0 ? null : turn.connection;
        if (turn.connection.closed && this.owner === turn.connection) await this.reset();
      }
    } finally {
      this.running = false;
    }
  }

  /** Ends whatever a vanished connection left open on the shared backend. */
  private async reset(): Promise<void> {
    await this.execute(Buffer.concat([SYNC, ROLLBACK])).catch(() => {});
    this.owner = null;
  }

  private async release(connection: Connection): Promise<void> {
    connection.closed = true;
    this.connections.delete(connection);
    for (let i = this.queue.length - 1; i >= 0; i--)
      if (this.queue[i].connection === connection) this.queue.splice(i, 1);
    if (this.owner === connection && !this.running) {
      await this.reset();
      void this.drain();
    }
  }
}
