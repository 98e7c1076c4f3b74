/**
 * The on/off pair that eventemitter3 and the engine client's Emitter both
 * have. Each types its arguments by its own event map, so here they are
 * `never` (assignable to any of those); `listen`'s `Handlers` carry the real types.
 */
interface OnOff {
  on(event: never, fn: never): unknown;
  off(event: never, fn: never): unknown;
}

/** Listeners by event name, typed by an event map of argument tuples (`{ close: [reason: string] }`). */
export type Handlers<Events> = { [K in keyof Events]?: (...args: Events[K] extends unknown[] ? Events[K] : never) => void };

/**
 * Subscribes each handler to `emitter` and returns the one disposer that
 * removes them all: teardown runs disposers, so nothing is left listening on
 * a closed engine or a destroyed socket.
 *
 * @example
 * const dispose = listen<ManagerEvents>(manager, { open: onOpen, close: onClose });
 * dispose(); // both removed
 */
export function listen<Events>(emitter: OnOff, handlers: Handlers<Events>): () => void {
  const entries = Object.entries(handlers) as Array<[never, never]>;
  for (const [event, fn] of entries) emitter.on(event, fn);
  return () => {
    for (const [event, fn] of entries) emitter.off(event, fn);
  };
}
