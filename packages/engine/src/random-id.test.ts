import { randomId } from "./random-id";

describe("randomId", () => {
  test("gives 20 base64url characters", () => {
    expect(randomId()).toMatch(/^[A-Za-z0-9_-]{20}$/);
  });

  test("never repeats across several blocks of pre-fetched random bytes", () => {
    // 1,000 ids use four blocks of 256: a reused or unrefilled block would repeat ids.
    const ids = new Set(Array.from({ length: 1000 }, () => randomId()));
    expect(ids.size).toBe(1000);
  });
});
