import { dirname, join } from "node:path";
import { Backoff } from "./backoff";

// socket.io-client's own backoff (backo2), the reference: not exported, so loaded by path.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const backo2 = require(join(dirname(require.resolve("socket.io-client/package.json")), "build/cjs/contrib/backo2.js")) as {
  Backoff: new (opts: { min: number; max: number; jitter: number }) => { duration(): number };
};

/** A random source that returns `values` in turn. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length];
}

describe("Backoff", () => {
  test("without jitter: min × 2^n, capped at max", () => {
    const b = new Backoff(1000, 5000, 0);
    expect([1, 2, 3, 4, 5].map(() => b.duration())).toEqual([1000, 2000, 4000, 5000, 5000]);
    expect(b.attempts).toBe(5);
  });

  test("random 0 moves nothing, even with jitter", () => {
    const b = new Backoff(100, 10_000, 0.5, 2, () => 0);
    expect([1, 2, 3, 4].map(() => b.duration())).toEqual([100, 200, 400, 800]);
  });

  test("jitter: an even tenth digit subtracts, an odd one adds, rand × jitter × delay", () => {
    // 0.25 → floor(2.5) = 2 (even): minus floor(0.25 × 0.5 × ms); 0.75 → 7 (odd): plus floor(0.375 × ms).
    const b = new Backoff(1000, 5000, 0.5, 2, sequence(0.25, 0.75, 0.25, 0.75, 0.75));
    expect([1, 2, 3, 4, 5].map(() => b.duration())).toEqual([875, 2750, 3500, 5000, 5000]);
  });

  test("the cap applies after the jitter: max is never exceeded", () => {
    const b = new Backoff(4000, 5000, 0.5, 2, () => 0.99); // 4000 + floor(0.495 × 4000) = 5980 → 5000
    expect(b.duration()).toBe(5000);
  });

  test("jitter bounds: every delay within delay × (1 ± jitter) and ≤ max", () => {
    for (let k = 0; k <= 100; k++) {
      const r = k / 100;
      const b = new Backoff(1000, 5000, 0.5, 2, () => r);
      for (let n = 0; n < 6; n++) {
        const base = 1000 * 2 ** n;
        const d = b.duration();
        expect(d).toBeGreaterThanOrEqual(Math.min(Math.floor(base * 0.5), 5000));
        expect(d).toBeLessThanOrEqual(Math.min(base * 1.5, 5000));
      }
    }
  });

  test("jitter outside (0, 1] is ignored", () => {
    expect(new Backoff(1000, 5000, 1.5, 2, () => 0.75).duration()).toBe(1000);
    expect(new Backoff(1000, 5000, -1, 2, () => 0.75).duration()).toBe(1000);
  });

  test("reset starts again from min", () => {
    const b = new Backoff(10, 1000, 0);
    b.duration();
    b.duration();
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.duration()).toBe(10);
  });

  test("after thousands of attempts the delay is still max (no overflow to 0)", () => {
    const b = new Backoff(1000, 5000, 0.5, 2, () => 0.25); // subtracting: Infinity − Infinity would be NaN
    let last = 0;
    for (let i = 0; i < 3000; i++) last = b.duration();
    expect(last).toBe(5000);
  });

  test("same delays as socket.io-client's backo2 for the same random values", () => {
    const values = [0.1, 0.33, 0.5, 0.77, 0.91, 0.05, 0.62, 0.48];
    const spy = jest.spyOn(Math, "random");
    for (const v of values) spy.mockReturnValueOnce(v);
    const ref = new backo2.Backoff({ min: 1000, max: 5000, jitter: 0.5 });
    const expected = values.map(() => ref.duration());
    spy.mockRestore();
    const ours = new Backoff(1000, 5000, 0.5, 2, sequence(...values));
    expect(values.map(() => ours.duration())).toEqual(expected);
  });
});
