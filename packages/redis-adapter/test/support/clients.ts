import { io, type ManagerOptions, type Socket, type SocketOptions } from "socket.io-client";

export type Client = Socket & { received: unknown[][] };

const all = new Set<Socket>();

/** A socket.io-client 4.8.4 socket that records every event; resolves once connected. */
export function connect(url: string, opts: Partial<ManagerOptions & SocketOptions> = {}): Promise<Client> {
  const socket = io(url, { forceNew: true, reconnection: false, transports: ["websocket"], ...opts }) as Client;
  socket.received = [];
  socket.onAny((...args: unknown[]) => socket.received.push(args));
  all.add(socket);
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

/** Resolves with the args of the next `event` on `socket`. */
export function next<T extends unknown[] = unknown[]>(socket: Socket, event: string, ms = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${event}" within ${ms} ms`)), ms);
    socket.once(event, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as T);
    });
  });
}

/** Resolves once `socket.received` holds an event named `event` matching `match`. */
export function receivedWhen(socket: Client, event: string, count = 1, ms = 10_000): Promise<unknown[][]> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const got = socket.received.filter((e) => e[0] === event);
      if (got.length >= count) {
        clearTimeout(timer);
        socket.offAny(listener);
        resolve(got);
      }
    };
    const listener = () => check();
    const timer = setTimeout(() => {
      socket.offAny(listener);
      reject(new Error(`expected ${count} "${event}" events within ${ms} ms, got ${socket.received.filter((e) => e[0] === event).length}`));
    }, ms);
    socket.onAny(listener);
    check();
  });
}

export function closeAllClients(): void {
  for (const s of all) s.disconnect();
  all.clear();
}
