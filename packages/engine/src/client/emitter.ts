/**
 * The smallest typed event emitter that serves the client's public edge
 * (`socket.on("message", …)`): on / once / off / emit, and listeners. Written
 * by hand because the browser bundle is budgeted in bytes; the browser
 * bundles of @duplex/client use it in place of eventemitter3 too (see
 * scripts/bundle.mjs), so it also answers eventemitter3's most used aliases.
 * A listener that throws propagates to the emitter's caller, as with Node's
 * EventEmitter.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = ((...args: any[]) => void) & { fn?: Fn };

export class Emitter<E extends { [K in keyof E]: unknown[] }> {
  #l: { [K in keyof E]?: Fn[] } = {};

  /** Adds `fn` for `event`. */
  on<K extends keyof E>(event: K, fn: (...args: E[K]) => void): this {
    (this.#l[event] ||= []).push(fn);
    return this;
  }

  /** Adds `fn` for the next `event` only. */
  once<K extends keyof E>(event: K, fn: (...args: E[K]) => void): this {
    const w: Fn = (...args) => {
      this.off(event, w);
      fn.apply(this, args as E[K]);
    };
    w.fn = fn;
    return this.on(event, w);
  }

  /** Removes `fn`, or every listener of `event`, or every listener. */
  off<K extends keyof E>(event?: K, fn?: (...args: E[K]) => void): this {
    if (event === undefined) this.#l = {};
    else this.#l[event] = fn && this.#l[event]?.filter((f) => f != fn && f.fn != fn);
    return this;
  }

  /** Calls the listeners of `event` in order; false when there were none. */
  emit<K extends keyof E>(event: K, ...args: E[K]): boolean {
    const list = this.#l[event] || [];
    for (const f of list.slice()) f.apply(this, args);
    return list.length > 0;
  }

  /** The listeners of `event`, in order (`once` ones as they were given). */
  listeners<K extends keyof E>(event: K): Fn[] {
    return (this.#l[event] || []).map((f) => f.fn || f);
  }
}

// eventemitter3's names for the same calls.
export interface Emitter<E> {
  addListener: Emitter<E>["on"];
  removeListener: Emitter<E>["off"];
  removeAllListeners: Emitter<E>["off"];
}
const proto = Emitter.prototype;
proto.addListener = proto.on;
proto.removeListener = proto.removeAllListeners = proto.off;

/** What scripts/bundle.mjs puts where @duplex/client imports eventemitter3. */
export default Emitter;
