import { join } from "node:path";
import { build } from "esbuild";
import * as node from "./index";
import type { DecodedPacket, DecodeError } from "./index";

/**
 * The package as Duplex's browser bundles build it (scripts/bundle.mjs and
 * build.ts): short messages, and no server guards.
 */
async function clientBundleBuild(): Promise<typeof node> {
  const out = await build({
    entryPoints: [join(__dirname, "index.ts")],
    bundle: true,
    format: "cjs",
    platform: "browser",
    write: false,
    logLevel: "silent",
    define: { "globalThis.__DUPLEX_TERSE__": "true", "globalThis.__DUPLEX_CLIENT_BUNDLE__": "true" },
  });
  const module = { exports: {} as typeof node };
  new Function("module", "exports", out.outputFiles[0].text)(module, module.exports);
  return module.exports;
}

function decode(protocol: typeof node, text: string): { packets: DecodedPacket[]; codes: string[] } {
  const packets: DecodedPacket[] = [];
  const codes: string[] = [];
  const decoder = new protocol.Decoder({ onPacket: (p) => packets.push(p), onError: (e: DecodeError) => codes.push(e.code) });
  decoder.add(text);
  return { packets, codes };
}

// ["deep", [[[…]]]] with 1001 levels in all: one past the default maxDepth.
const DEEP = '2["deep",' + "[".repeat(1000) + "]".repeat(1000) + "]";

test("Node keeps the server guards: depth limit, option checks, packet checks", () => {
  expect(decode(node, DEEP).codes).toEqual(["PAYLOAD_TOO_DEEP"]);
  expect(() => new node.Decoder({ onPacket() {}, onError() {} }, { maxAttachments: -1 })).toThrow(RangeError);
  expect(() => new node.Encoder().encode({ type: 2, nsp: "chat", data: ["x"] })).toThrow(node.EncodeError);
});

test("the client bundle's codec leaves them out and decodes and encodes as socket.io-parser does", async () => {
  const bundled = await clientBundleBuild();
  const { packets, codes } = decode(bundled, DEEP);
  expect(codes).toEqual([]);
  expect(packets).toHaveLength(1);
  // The options the client fixes are not checked.
  expect(() => new bundled.Decoder({ onPacket() {}, onError() {} }, { maxAttachments: -1 })).not.toThrow();
  // A namespace is sent as given, as socket.io-parser writes it.
  expect(new bundled.Encoder().encode({ type: 2, nsp: "chat", data: ["x"] })).toEqual(['2chat,["x"]']);
});

test("every other rule of the decoder holds in the client bundle", async () => {
  const bundled = await clientBundleBuild();
  for (const [text, code] of [
    ['201["x"]', "INVALID_ACK_ID"],
    ["7", "INVALID_PACKET_TYPE"],
    ['2admin,["x"]', "INVALID_NAMESPACE"],
    ["2[]", "INVALID_PAYLOAD"],
    ['511-["x"]', "TOO_MANY_ATTACHMENTS"],
  ]) {
    expect([text, decode(bundled, text).codes]).toEqual([text, [code]]);
    expect([text, decode(node, text).codes]).toEqual([text, [code]]);
  }
});
