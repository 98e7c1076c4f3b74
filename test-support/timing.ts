/**
 * For tests of timers with real timers and real sockets: wait for the event
 * the timer causes, and measure when it came. A missing event fails with a
 * message naming it (not the test runner's timeout), and the bounds leave
 * room for a loaded machine: a timer never fires early, but it may fire late.
 */

/** Resolves with `promise`'s value, or rejects after `ms` naming `what`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`not within ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** A stopwatch: `ms()` is the time since it was made. */
export function stopwatch(): { ms(): number } {
  const start = performance.now();
  return { ms: () => performance.now() - start };
}

/** Resolves after `ms`: only to show that something did NOT happen during that time. */
export function quiet(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
