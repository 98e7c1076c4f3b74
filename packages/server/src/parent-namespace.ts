import type { Packet } from "@duplex/protocol";
import { Adapter, type AdapterNamespace, type BroadcastOptions, type SocketDetails } from "./adapter";
import { Namespace } from "./namespace";
import { createChild, forgetNamespace, inheritMiddlewares, onEmpty } from "./internal";
import type { Server } from "./server";
import type { DefaultEventsMap, EventsMap } from "@duplex/protocol";

/** Decides whether a namespace name belongs to a dynamic namespace: `next(null, true)` accepts. */
export type NamespaceMatcher = (
  name: string,
  auth: Record<string, unknown>,
  next: (err: Error | null, accept: boolean) => void,
) => void;

let parentCount = 0;

/**
 * The namespace `io.of(/regex/)` or `io.of(fn)` returns. It owns no sockets
 * itself: each matching name becomes a child namespace that inherits its
 * middlewares and "connection" listeners, and what the parent broadcasts
 * reaches every child.
 */
export class ParentNamespace<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = DefaultEventsMap,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  SocketData = unknown,
> extends Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
  readonly children: Set<Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>;

  constructor(
    server: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    readonly matcher: NamespaceMatcher,
  ) {
    const children = new Set<Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>();
    super(server, `/_${parentCount++}`, (nsp) => new ParentAdapter(nsp, children));
    this.children = children;
  }

  /** Creates the child namespace `name`. */
  [createChild](name: string): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
    const child = new Namespace(this.server, name);
    child[inheritMiddlewares](this);
    for (const ev of ["connect", "connection"] as const) {
      for (const listener of this.listeners(ev)) child.on(ev, listener as (...args: unknown[]) => void);
    }
    this.children.add(child);
    if (this.server.cleanupEmptyChildNamespaces) {
      child[onEmpty] = () => {
        if (!this.children.delete(child)) return;
        void child.adapter.close();
        this.server[forgetNamespace](child);
      };
    }
    return child;
  }
}

/** Carries a parent's operations to each of its children's adapters. */
class ParentAdapter extends Adapter {
  constructor(
    parent: AdapterNamespace,
    private readonly children: ReadonlySet<{ readonly name: string; readonly adapter: Adapter }>,
  ) {
    super(parent);
  }

  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    for (const child of this.children) child.adapter.broadcast({ ...packet, nsp: child.name }, opts);
  }

  override async fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]> {
    const all = await Promise.all([...this.children].map((child) => child.adapter.fetchSockets(opts)));
    return all.flat();
  }

  override async sockets(rooms: Set<string>): Promise<Set<string>> {
    const all = await Promise.all([...this.children].map((child) => child.adapter.sockets(rooms)));
    return new Set(all.flatMap((ids) => [...ids]));
  }

  override addSockets(opts: BroadcastOptions, rooms: string[]): void {
    for (const child of this.children) child.adapter.addSockets(opts, rooms);
  }

  override delSockets(opts: BroadcastOptions, rooms: string[]): void {
    for (const child of this.children) child.adapter.delSockets(opts, rooms);
  }

  override disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    for (const child of this.children) child.adapter.disconnectSockets(opts, close);
  }
}
