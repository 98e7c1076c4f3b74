import type { ResponseMessage } from "./wire";

/** A cluster request that did not get every answer in time. `code` is stable. */
export class RequestError extends Error {
  readonly code = "REQUEST_TIMEOUT";
  constructor(
    readonly missing: number,
    timeout: number,
  ) {
    super(`expected an answer from ${missing} more node(s) within ${timeout} ms`);
  }
}

export interface RequestHandler {
  /** An answer from a node; true when that node's part is complete. */
  onAnswer(msg: ResponseMessage): boolean;
  /** A node left before completing its part. */
  onNodeGone?(uid: string): void;
  /** Every node done (err null), the timeout passed or Redis became unreachable (err set). Runs once. */
  onEnd(err: Error | null): void;
  /** Stay open until the timeout even once every node completed (broadcast acks keep coming). */
  keepUntilTimeout?: boolean;
}

interface Pending {
  waiting: Set<string>;
  handler: RequestHandler;
  timer: NodeJS.Timeout;
  timeout: number;
}

/**
 * The requests this node has in flight, by id. Each waits for a known set
 * of nodes and ends when they all answered, left, or the timeout passed, so
 * none can hang.
 */
export class Requests {
  private readonly pending = new Map<string, Pending>();
  private counter = 0;
  private readonly prefix = Math.random().toString(36).slice(2, 8);

  open(waiting: Set<string>, timeout: number, handler: RequestHandler): string {
    const id = `${this.prefix}${(++this.counter).toString(36)}`;
    const timer = setTimeout(() => this.end(id, true), timeout);
    timer.unref?.();
    this.pending.set(id, { waiting, handler, timer, timeout });
    return id;
  }

  answer(id: string, msg: ResponseMessage): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    if (p.handler.onAnswer(msg)) this.complete(id, p, msg.uid);
  }

  /** A node is gone: nobody waits for it any more. */
  nodeGone(uid: string): void {
    for (const [id, p] of this.pending) {
      if (!p.waiting.has(uid)) continue;
      p.handler.onNodeGone?.(uid);
      this.complete(id, p, uid);
    }
  }

  /** Ends every request with what arrived (the adapter closes). */
  closeAll(): void {
    for (const id of [...this.pending.keys()]) this.end(id, false);
  }

  /** Ends every request with `err`: the answers cannot arrive (Redis is unreachable). */
  failAll(err: Error): void {
    for (const id of [...this.pending.keys()]) this.end(id, false, err);
  }

  private complete(id: string, p: Pending, uid: string): void {
    p.waiting.delete(uid);
    if (p.waiting.size === 0 && !p.handler.keepUntilTimeout) this.end(id, false);
  }

  private end(id: string, timedOut: boolean, failure: Error | null = null): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    const missing = p.waiting.size;
    if (failure !== null && missing > 0) {
      // The nodes that will not answer count as having sent to nobody.
      for (const uid of p.waiting) p.handler.onNodeGone?.(uid);
      return p.handler.onEnd(failure);
    }
    p.handler.onEnd(timedOut && missing > 0 ? new RequestError(missing, p.timeout) : null);
  }
}
