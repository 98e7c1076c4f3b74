import Emitter from "../../src/client/emitter";

/**
 * The engine client's emitter, which the client's browser bundles also use
 * in place of eventemitter3 (scripts/bundle.mjs): the methods and aliases a
 * socket.io-client user calls on a socket.
 */
type Events = { a: [n: number]; b: [] };

test("on/emit in order, once fires once, emit says whether anyone listened", () => {
  const e = new Emitter<Events>();
  const got: string[] = [];
  e.on("a", (n) => got.push(`on${n}`));
  e.once("a", (n) => got.push(`once${n}`));
  expect(e.emit("a", 1)).toBe(true);
  expect(e.emit("a", 2)).toBe(true);
  expect(e.emit("b")).toBe(false);
  expect(got).toEqual(["on1", "once1", "on2"]);
});

test("listeners() lists what was given, once listeners included", () => {
  const e = new Emitter<Events>();
  const f = () => {};
  const g = () => {};
  e.on("a", f).once("a", g);
  expect(e.listeners("a")).toEqual([f, g]);
  expect(e.listeners("b")).toEqual([]);
});

test("off / removeListener remove one listener (a once one by the function given), or all of an event", () => {
  const e = new Emitter<Events>();
  const f = jest.fn();
  const g = jest.fn();
  e.on("a", f).once("a", g);
  e.removeListener("a", g);
  e.emit("a", 1);
  expect(g).not.toHaveBeenCalled();
  e.off("a", f);
  expect(e.emit("a", 2)).toBe(false);
  e.addListener("a", f).on("a", g);
  e.off("a");
  expect(e.emit("a", 3)).toBe(false);
  expect(f).toHaveBeenCalledTimes(1);
});

test("removeAllListeners() with no event clears every event", () => {
  const e = new Emitter<Events>();
  e.on("a", () => {}).on("b", () => {});
  e.removeAllListeners();
  expect(e.listeners("a")).toEqual([]);
  expect(e.emit("b")).toBe(false);
});

test("a listener removed during emit still runs this time (the list is copied), not the next", () => {
  const e = new Emitter<Events>();
  const second = jest.fn();
  e.on("b", () => e.off("b", second)).on("b", second);
  e.emit("b");
  e.emit("b");
  expect(second).toHaveBeenCalledTimes(1);
});
