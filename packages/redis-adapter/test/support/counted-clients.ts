// socket.io-client 4.8.4 clients whose every failure is counted, for the
// tests that run many clients through several nodes and expect none.
import { io as ioClient, type Socket } from "socket.io-client";

export interface Tally {
  connectErrors: string[];
  disconnects: string[];
  acksSent: number;
  /** Emitted, neither answered nor timed out yet. */
  acksPending: number;
  acksLost: number;
  /** Acks answered out of the order they were asked. */
  acksOutOfOrder: number;
}

export const newTally = (): Tally => ({ connectErrors: [], disconnects: [], acksSent: 0, acksPending: 0, acksLost: 0, acksOutOfOrder: 0 });

/** A socket that keeps the numbers of the "tick" broadcasts it received. */
export type CountedClient = Socket & { ticks: number[] };

/** A client whose failures are counted in `tally`; it never reconnects, so a failure shows. */
export function countedClient(url: string, polling: boolean, tally: Tally, auth?: Record<string, string>): CountedClient {
  const socket = ioClient(url, {
    forceNew: true,
    reconnection: false,
    ...(auth ? { auth } : {}),
    ...(polling ? { transports: ["polling"] } : {}),
  }) as CountedClient;
  socket.ticks = [];
  socket.on("tick", (n: number) => socket.ticks.push(n));
  socket.on("connect_error", (err) => tally.connectErrors.push(err.message));
  socket.on("disconnect", (reason, details) => {
    if (reason !== "io client disconnect") tally.disconnects.push(details === undefined ? reason : `${reason}: ${describeDetails(details)}`);
  });
  return socket;
}

/**
 * What socket.io-client says about a transport's failure, so that a failed
 * assertion tells a refused poll (its HTTP status) from a broken connection.
 */
function describeDetails(details: unknown): string {
  if (details instanceof Error) return details.message;
  const { description, context } = details as { description?: unknown; context?: { status?: unknown } };
  const status = typeof context?.status === "number" ? ` (HTTP ${context.status})` : "";
  return `${description instanceof Error ? description.message : String(description)}${status}`;
}

/** Resolves true once the socket is connected, false at its connect error. */
export function connected(socket: Socket): Promise<boolean> {
  if (socket.connected) return Promise.resolve(true);
  return new Promise((resolve) => {
    socket.once("connect", () => resolve(true));
    socket.once("connect_error", () => resolve(false));
  });
}

/**
 * Every client emits an acked "echo" of its own running number every
 * `everyMs`, the clients spread over the interval. A timed-out ack or a wrong
 * answer counts as lost; an answer that is not the one after the client's
 * previous answer counts as out of order. Returns the function that stops them.
 */
export function emitAckedEchoes(clients: Socket[], tally: Tally, everyMs: number): () => void {
  const stops = clients.map((socket, i) => {
    let sent = 0;
    let lastAnswer = 0;
    const emitOne = () => {
      if (!socket.connected) return;
      const mine = ++sent;
      tally.acksSent++;
      tally.acksPending++;
      socket
        .timeout(5000)
        .emitWithAck("echo", mine)
        .then(
          (answer: number) => {
            tally.acksPending--;
            if (answer !== mine) tally.acksLost++;
            if (answer !== lastAnswer + 1) tally.acksOutOfOrder++;
            lastAnswer = answer;
          },
          () => {
            tally.acksPending--;
            tally.acksLost++;
          },
        );
    };
    let interval: NodeJS.Timeout | undefined;
    const start = setTimeout(() => {
      emitOne();
      interval = setInterval(emitOne, everyMs);
    }, (i * everyMs) / clients.length);
    return () => {
      clearTimeout(start);
      clearInterval(interval);
    };
  });
  return () => {
    for (const stop of stops) stop();
  };
}
