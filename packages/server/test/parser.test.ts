import * as socketIoParser from "socket.io-parser";
import { fromSocketIoParser, type Parser } from "@duplex/protocol";
import { once, startServer, type ServerHarness } from "./helpers";

let h: ServerHarness;
afterEach(() => h.close());

test("the parser option plugs in another codec (socket.io-parser through the seam)", async () => {
  const parser: Parser = fromSocketIoParser(socketIoParser as never);
  let encoded = 0;
  const counting: Parser = {
    Decoder: parser.Decoder,
    Encoder: class {
      private readonly inner = new parser.Encoder();
      encode(packet: Parameters<InstanceType<Parser["Encoder"]>["encode"]>[0]) {
        encoded++;
        return this.inner.encode(packet);
      }
    },
  };
  h = await startServer({ parser: counting });
  h.io.on("connection", (socket) => {
    socket.on("echo", (value: unknown, ack: (v: unknown) => void) => ack(value));
  });
  const client = h.client();
  await once(client, "connect");
  const answer = await client.emitWithAck("echo", { bytes: Buffer.from([1, 2, 3]), n: 1 });
  expect(answer).toEqual({ bytes: Buffer.from([1, 2, 3]), n: 1 });
  // the CONNECT answer and the binary ACK went through the plugged-in encoder
  expect(encoded).toBeGreaterThanOrEqual(2);
});

test("a plugged-in decoder's errors close the session with 'forced close', as socket.io's", async () => {
  h = await startServer({ parser: fromSocketIoParser(socketIoParser as never) });
  const reasons: string[] = [];
  h.io.on("connection", (socket) => socket.on("disconnect", (r) => reasons.push(r)));
  const client = h.client();
  await once(client, "connect");
  const gone = once(client, "disconnect");
  // socket.io-parser throws on an unknown packet type; the seam reports it
  client.io.engine.write("9garbage");
  await gone;
  expect(reasons).toEqual(["forced close"]);
});
