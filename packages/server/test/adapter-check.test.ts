import { createAdapter as socketIoRedisAdapter } from "@socket.io/redis-adapter";
import { Adapter, Server, type AdapterConstructor } from "@duplex/server";

// What @socket.io/redis-adapter's createAdapter returns (a plain function that
// builds a socket.io-adapter Adapter); its clients are never used here.
const foreign = socketIoRedisAdapter({}, {}) as unknown as AdapterConstructor;

test("a socket.io adapter is refused at startup, naming @duplex/redis-adapter", () => {
  const refusal = expect.objectContaining({
    code: "NOT_A_DUPLEX_ADAPTER",
    message: expect.stringMatching(/not a Duplex adapter.*"@duplex\/redis-adapter" instead of "@socket.io\/redis-adapter"/),
  });
  expect(() => new Server({ adapter: foreign })).toThrow(refusal);
  const io = new Server();
  expect(() => io.adapter(foreign)).toThrow(refusal);
  // The server keeps the adapter it had.
  expect(io.adapter()).toBe(Adapter);
  io.close();
});

test("Duplex adapters (the in-memory one, a subclass) are accepted", () => {
  class Custom extends Adapter {}
  const io = new Server({ adapter: Custom });
  expect(io.of("/").adapter).toBeInstanceOf(Custom);
  expect(io.adapter(Adapter).adapter()).toBe(Adapter);
  io.close();
});
