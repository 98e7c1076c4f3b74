import {
  DecodeError,
  Decoder,
  EncodeError,
  Encoder,
  defaultParser,
  fromSocketIoParser,
  type DecodedPacket,
  type EmitterDecoder,
  type Packet,
  type Parser,
  type WireChunk,
} from "@duplex/protocol";
import * as socketIoParser from "socket.io-parser";

function run(parser: Parser, chunks: WireChunk[]) {
  const packets: DecodedPacket[] = [];
  const errors: DecodeError[] = [];
  const decoder = new parser.Decoder({ onPacket: (p) => packets.push(p), onError: (e) => errors.push(e) });
  for (const chunk of chunks) decoder.add(chunk);
  return { packets, errors, decoder };
}

test("defaultParser is Duplex's Encoder and Decoder", () => {
  expect(defaultParser.Encoder).toBe(Encoder);
  expect(defaultParser.Decoder).toBe(Decoder);
  const chunks = new defaultParser.Encoder().encode({ type: 2, nsp: "/", id: 1, data: ["e", new Uint8Array([1])] });
  const { packets } = run(defaultParser, chunks);
  expect(packets).toEqual([{ type: 2, nsp: "/", id: 1, data: ["e", new Uint8Array([1])] }]);
});

describe("fromSocketIoParser(socket.io-parser)", () => {
  const parser = fromSocketIoParser(socketIoParser);

  test("round-trips text and binary packets through the wrapped parser", () => {
    const encoder = new parser.Encoder();
    const bin = Buffer.from([1, 2]);
    const chunks = [
      ...encoder.encode({ type: 0, nsp: "/admin", data: { token: "t" } }),
      ...encoder.encode({ type: 2, nsp: "/", id: 4, data: ["up", { bin }] }),
    ];
    expect(chunks[0]).toBe('0/admin,{"token":"t"}');
    const { packets, errors } = run(parser, chunks);
    expect(errors).toEqual([]);
    expect(packets).toEqual([
      { type: 0, nsp: "/admin", data: { token: "t" } },
      { type: 2, nsp: "/", id: 4, data: ["up", { bin }] },
    ]);
  });

  test("what the wrapped decoder throws is reported as INVALID_PACKET, and its state is reset", () => {
    const { packets, errors } = run(parser, ['51-["a",{"_placeholder":true,"num":0}]', '2["x"]', Buffer.from([1]), '2["ok"]']);
    expect(errors.map((e) => e.code)).toEqual(["INVALID_PACKET", "INVALID_PACKET"]);
    expect(errors[0]).toBeInstanceOf(DecodeError);
    expect(errors[0]?.message).toMatch(/^expected input the wrapped parser accepts, got an error from it: /);
    expect(packets).toEqual([{ type: 2, nsp: "/", data: ["ok"] }]);
  });

  test("passes maxAttachments through", () => {
    const decoder = new parser.Decoder({ onPacket: () => undefined, onError: (e) => errors.push(e) }, { maxAttachments: 1 });
    const errors: DecodeError[] = [];
    decoder.add('52-["a",{"_placeholder":true,"num":0}]');
    expect(errors.map((e) => e.code)).toEqual(["INVALID_PACKET"]);
    expect(errors[0]?.message).toContain("too many attachments");
  });

  test("an error thrown by the handler propagates as the handler's, not as a decoding error", () => {
    const errors: DecodeError[] = [];
    const decoder = new parser.Decoder({
      onPacket: () => {
        throw new Error("handler bug");
      },
      onError: (e) => errors.push(e),
    });
    expect(() => decoder.add('2["x"]')).toThrow("handler bug");
    expect(errors).toEqual([]);
  });
});

describe("fromSocketIoParser with a msgpack-like parser (one binary message per packet)", () => {
  // Stands in for socket.io-msgpack-parser: packets travel as JSON bytes here.
  class FakeEncoder {
    encode(packet: Packet): unknown[] {
      return [new TextEncoder().encode(JSON.stringify(packet))];
    }
  }
  class FakeDecoder implements EmitterDecoder {
    private listener: ((packet: unknown) => void) | undefined;
    on(_event: "decoded", listener: (packet: unknown) => void): this {
      this.listener = listener;
      return this;
    }
    add(chunk: WireChunk): void {
      if (typeof chunk === "string") throw new Error("invalid packet");
      this.listener?.(JSON.parse(new TextDecoder().decode(chunk as Uint8Array)));
    }
    destroy(): void {}
  }
  const parser = fromSocketIoParser({ Encoder: FakeEncoder, Decoder: FakeDecoder });

  test("decoded packets are checked; BINARY_EVENT is reported as EVENT", () => {
    const encode = (p: unknown) => new TextEncoder().encode(JSON.stringify(p));
    const { packets, errors } = run(parser, [
      encode({ type: 2, nsp: "/", data: ["e", 1] }),
      encode({ type: 5, nsp: "/", id: 3, data: ["b"] }),
      encode({ type: 2, nsp: "/", data: [] }),
      encode({ type: 3, nsp: "/", data: [] }),
      encode({ type: 9, nsp: "/" }),
      encode({ type: 2, nsp: "nope", data: ["e"] }),
      "text",
    ]);
    expect(packets).toEqual([
      { type: 2, nsp: "/", data: ["e", 1] },
      { type: 2, nsp: "/", id: 3, data: ["b"] },
    ]);
    expect(errors.map((e) => e.code)).toEqual(Array(5).fill("INVALID_PACKET"));
  });

  test("an encoder returning something that is neither text nor binary is refused", () => {
    const bad = fromSocketIoParser({
      Encoder: class {
        encode(): unknown[] {
          return [42];
        }
      },
      Decoder: FakeDecoder,
    });
    expect(() => new bad.Encoder().encode({ type: 1, nsp: "/" })).toThrow(EncodeError);
    expect(new parser.Encoder().encode({ type: 1, nsp: "/" })[0]).toBeInstanceOf(Uint8Array);
  });
});
