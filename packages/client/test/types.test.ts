// Type-level tests: ts-jest type-checks this file, so each `@ts-expect-error`
// must mark a real error, and the correct lines must compile.
import { io, type Socket } from "@duplex/client";

interface ServerToClient {
  news: (headline: string, priority: number) => void;
  ask: (question: string, ack: (answer: boolean) => void) => void;
}
interface ClientToServer {
  hello: (name: string, ack: (greeting: string) => void) => void;
  count: (n: number) => void;
}

function usage(): void {
  // socket.io-client's pattern: an untyped io() assigned to a typed Socket
  const socket: Socket<ServerToClient, ClientToServer> = io("http://localhost:3000", { autoConnect: false });
  socket.on("news", (headline, priority) => headline.toUpperCase() + priority.toFixed());
  socket.on("ask", (question, ack) => ack(question.length > 0));
  socket.on("connect", () => undefined);
  socket.on("connect_error", (err) => err.message);
  socket.on("disconnect", (reason) => reason.length);
  // @ts-expect-error a listener with the wrong argument type
  socket.on("news", (headline: number) => headline);
  // @ts-expect-error an event the server does not send
  socket.on("goodbye", () => undefined);

  socket.emit("count", 3);
  socket.emit("hello", "ada", (greeting) => greeting.toUpperCase());
  // @ts-expect-error wrong argument type
  socket.emit("count", "3");
  // @ts-expect-error an event the server does not listen to
  socket.emit("unknown");
  socket.timeout(1000).emit("hello", "ada", (err, greeting) => [err?.message, greeting.toUpperCase()]);
  const greeting: Promise<string> = socket.timeout(1000).emitWithAck("hello", "ada");
  const direct: Promise<string> = socket.emitWithAck("hello", "ada");
  void greeting;
  void direct;
  socket.volatile.emit("count", 1);
  // @ts-expect-error flags keep the types
  socket.volatile.emit("count", "1");

  // untyped sockets accept anything, as socket.io-client's do
  const loose = io("http://localhost:3000", { autoConnect: false });
  loose.on("whatever", (a: number, b: string) => [a, b]);
  loose.emit("whatever", 1, "two", { three: 3 });
}

test("the typed usage above compiles, and every marked misuse is a type error", () => {
  expect(typeof usage).toBe("function");
});
