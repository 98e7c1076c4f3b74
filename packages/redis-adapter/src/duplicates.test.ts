import { Duplicates } from "./duplicates";

describe("Duplicates", () => {
  test("a number seen once from a sender is new, twice is not; senders are apart", () => {
    const seen = new Duplicates();
    expect(seen.isNew("a", 1)).toBe(true);
    expect(seen.isNew("a", 2)).toBe(true);
    expect(seen.isNew("a", 1)).toBe(false);
    expect(seen.isNew("b", 1)).toBe(true);
  });

  test("numbers out of order within the window are each delivered once", () => {
    const seen = new Duplicates();
    const arrivals = [3, 1, 2, 3, 5, 4, 1, 5];
    expect(arrivals.map((seq) => seen.isNew("a", seq))).toEqual([true, true, true, false, true, true, false, false]);
  });

  test("a number older than the window counts as seen; forget() starts the sender afresh", () => {
    const seen = new Duplicates();
    expect(seen.isNew("a", 10_000)).toBe(true);
    expect(seen.isNew("a", 10_000 - 4096)).toBe(false);
    expect(seen.isNew("a", 10_000 - 4095)).toBe(true);
    seen.forget("a");
    expect(seen.isNew("a", 10_000)).toBe(true);
  });
});
