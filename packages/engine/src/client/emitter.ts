/**
 * The smallest typed event emitter that serves the client's public edge
 * (`socket.on("message", …)`): on / once / off / emit, and listeners. Written
 * by hand to stay small in the browser bundle. The browser bundles of
 * @duplex/client use it in place of eventemitter3 too (the seam is
 * packages/client/src/event-emitter.ts), so it also answers eventemitter3's
 * most used aliases. A listener that throws propagates to the emitter's
 * caller, as with Node's EventEmitter.
 */
/** A listener; a `once` wrapper keeps the function it was given as `listener`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each event map types its own arguments
type Listener = ((...args: any[]) => void) & { listener?: Listener };

export class Emitter<E extends { [K in keyof E]: unknown[] }> {
  #listeners: { [K in keyof E]?: Listener[] } = {};

  /** Adds `listener` for `event`. */
  on<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this {
    (this.#listeners[event] ||= []).push(listener);
    return this;
  }

  /** Adds `listener` for the next `event` only. */
  once<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this {
    const wrapper: Listener = (...args) => {
      this.off(event, wrapper);
      listener.apply(this, args as E[K]);
    };
    wrapper.listener = listener;
    return this.on(event, wrapper);
  }

  /** Removes `listener`, or every listener of `event`, or every listener. */
  off<K extends keyof E>(event?: K, listener?: (...args: E[K]) => void): this {
    if (event === undefined) this.#listeners = {};
    else if (listener === undefined) this.#listeners[event] = undefined;
    else this.#listeners[event] = this.#listeners[event]?.filter((each) => each !== listener && each.listener !== listener);
    return this;
  }

  /** Calls the listeners of `event` in order; false when there were none. */
  emit<K extends keyof E>(event: K, ...args: E[K]): boolean {
    const list = this.#listeners[event] || [];
    // A copy: listeners added or removed meanwhile count from the next emit.
    for (const listener of list.slice()) listener.apply(this, args);
    return list.length > 0;
  }

  /** The listeners of `event`, in order (`once` ones as they were given). */
  listeners<K extends keyof E>(event: K): Listener[] {
    return (this.#listeners[event] || []).map((each) => each.listener || each);
  }
}

// eventemitter3's names for the same calls, on the prototype beside the originals.
export interface Emitter<E> {
  addListener: Emitter<E>["on"];
  removeListener: Emitter<E>["off"];
  removeAllListeners: Emitter<E>["off"];
}
Emitter.prototype.addListener = Emitter.prototype.on;
Emitter.prototype.removeListener = Emitter.prototype.off;
Emitter.prototype.removeAllListeners = Emitter.prototype.off;

/** What scripts/bundle.mjs puts where @duplex/client imports eventemitter3. */
export default Emitter;
