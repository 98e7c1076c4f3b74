import type { SocketOptions } from "./options";
import type { Clock } from "./platform";

// Taken when the client loads, so that timers faked or patched afterwards
// (jest or sinon fake timers) do not reach a client with useNativeTimers,
// as engine.io-client keeps them.
const nativeSetTimeout = globalThis.setTimeout;
const nativeClearTimeout = globalThis.clearTimeout;
const nativeNow = Date.now;

/**
 * The clock of a Node client with `autoUnref` or `useNativeTimers`
 * (engine.io-client's options), or undefined for the default one. With
 * `autoUnref`, no timer keeps the process alive: the heartbeat watchdog,
 * the handshake deadlines, and the Socket.IO Manager's open timeout and
 * reconnection delay.
 */
export function nodeClock(options: SocketOptions): Clock | undefined {
  if (options.clock) return options.clock;
  if (!options.autoUnref && !options.useNativeTimers) return undefined;
  const native = options.useNativeTimers === true;
  return {
    setTimeout: (fn, ms) => {
      const timer = native ? nativeSetTimeout(fn, ms) : setTimeout(fn, ms);
      if (options.autoUnref) timer.unref();
      return timer;
    },
    clearTimeout: (timer) => (native ? nativeClearTimeout : clearTimeout)(timer as NodeJS.Timeout),
    // The watchdog measures silence with it: a frozen fake Date must not stop it.
    now: () => (native ? nativeNow() : Date.now()),
  };
}
