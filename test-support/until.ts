/**
 * Resolves once `predicate` holds, checking every 10 ms; rejects after `ms`
 * naming the condition. For state no event announces (a log file's lines).
 */
export async function until(predicate: () => boolean, ms = 5000, what = String(predicate)): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
