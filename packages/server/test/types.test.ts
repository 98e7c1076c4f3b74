// Type-level tests: ts-jest type-checks this file, so each `@ts-expect-error`
// must mark a real error, and the correct lines must compile.
import { Server, type Socket } from "@duplex/server";

interface ClientToServer {
  hello: (name: string, ack: (greeting: string) => void) => void;
  count: (n: number) => void;
}
interface ServerToClient {
  news: (headline: string, priority: number) => void;
  ask: (question: string, ack: (answer: boolean) => void) => void;
}
interface InterServer {
  ping: (from: string) => void;
}
interface SocketData {
  user: string;
}

type TypedServer = Server<ClientToServer, ServerToClient, InterServer, SocketData>;

function usage(io: TypedServer): void {
  io.on("connection", (socket: Socket<ClientToServer, ServerToClient, InterServer, SocketData>) => {
    socket.on("hello", (name, ack) => ack(`hi ${name.toUpperCase()}`));
    socket.on("count", (n) => n.toFixed());
    socket.on("disconnect", (reason) => reason.length);
    // @ts-expect-error a listener with the wrong argument type
    socket.on("count", (n: string) => n);
    // @ts-expect-error an event the client does not send
    socket.on("goodbye", () => undefined);

    socket.emit("news", "headline", 1);
    // @ts-expect-error wrong argument type
    socket.emit("news", 1, 1);
    // @ts-expect-error missing argument
    socket.emit("news", "headline");
    // @ts-expect-error an event the client does not listen to
    socket.emit("unknown");
    // @ts-expect-error a reserved event is not a user event
    socket.emit("disconnect");

    socket.emit("ask", "ready?", (answer) => answer.valueOf());
    socket.timeout(1000).emit("ask", "ready?", (err, answer) => {
      const e: Error | null = err;
      const a: boolean = answer;
      return [e, a];
    });
    const answer: Promise<boolean> = socket.timeout(1000).emitWithAck("ask", "ready?");
    void answer;

    socket.data.user = "alice";
    // @ts-expect-error data is typed
    socket.data.user = 1;

    socket.to("room").emit("news", "x", 2);
    // @ts-expect-error broadcast arguments are typed too
    socket.broadcast.emit("news", "x");
  });

  io.to("room").emit("news", "headline", 3);
  io.timeout(1000).emit("ask", "anyone?", (err, answers) => {
    const list: boolean[] = answers;
    return [err, list];
  });
  const all: Promise<boolean[]> = io.timeout(1000).emitWithAck("ask", "anyone?");
  void all;
  io.serverSideEmit("ping", "node-1");
  // @ts-expect-error not a server-side event
  io.serverSideEmit("pong");
  io.on("ping", (from) => from.toUpperCase());
}

// Without event maps (DefaultEventsMap) every event takes any arguments, as in
// socket.io: acks, timeouts and emitWithAck must compile and answer `any`.
async function untypedUsage(io: Server): Promise<void> {
  io.on("connection", async (socket) => {
    socket.timeout(1000).emit("question", "life", (err: Error | null, answer: number) => [err, answer]);
    const n: number = await socket.emitWithAck("double", 21);
    const m: string = await socket.timeout(1000).emitWithAck("name");
    socket.to("room").timeout(1000).emit("poll", 1, (err: Error | null, answers: unknown[]) => [err, answers]);
    void [n, m];
  });
  io.timeout(1000).emit("poll", (err: Error | null, answers: number[]) => [err, answers]);
  const all: number[] = await io.timeout(1000).emitWithAck("poll", "x");
  void all;
}

test("the typed usage above compiles, and every marked misuse is a type error", () => {
  // The assertions are the compiler's; this only proves the function exists.
  expect(typeof usage).toBe("function");
  expect(typeof untypedUsage).toBe("function");
});
