import { decodePacket, decodePayload, encodeFrame, encodePayload, payloadLength, SEP } from "../../src/client/codec";
import { endpoint, transportUrl } from "../../src/client/url";
import { resolveUri } from "../../src/client/index";

const b64 = (u: Uint8Array) => Buffer.from(u).toString("base64");
const unb64 = (s: string) => Buffer.from(s, "base64");

describe("codec (engine.io-protocol v4 packets and payloads)", () => {
  test("frames: text is <type><data>, binary is bare", () => {
    expect(encodeFrame({ type: "message", data: "hi" })).toBe("4hi");
    expect(encodeFrame({ type: "ping", data: "probe" })).toBe("2probe");
    expect(encodeFrame({ type: "upgrade" })).toBe("5");
    const bin = new Uint8Array([1]);
    expect(encodeFrame({ type: "message", data: bin })).toBe(bin);
  });

  test("payloads: separator, base64 for binary (views and Blobs included)", async () => {
    const view = new Uint8Array([7, 1, 2, 7]).subarray(1, 3);
    const body = await encodePayload(
      [{ type: "message", data: "a" }, { type: "message", data: view }, { type: "message", data: new Blob([new Uint8Array([3])]) }, { type: "pong" }],
      b64,
    );
    expect(body).toBe(["4a", "bAQI=", "bAw==", "3"].join(SEP));
    expect(decodePayload(body, unb64)).toEqual([
      { type: "message", data: "a" },
      { type: "message", data: Buffer.from([1, 2]) },
      { type: "message", data: Buffer.from([3]) },
      { type: "pong", data: "" },
    ]);
  });

  test("malformed packets decode to undefined", () => {
    expect(decodePacket("")).toBeUndefined();
    expect(decodePacket("9x")).toBeUndefined();
    expect(decodePacket(" 4")).toBeUndefined();
    expect(decodePayload(`4ok${SEP}x`, unb64)).toBeUndefined();
  });

  test("payloadLength is the UTF-8 length in a payload (type + data + separator)", () => {
    for (const s of ["", "abc", "é", "✓✓", "😀", "a😀é✓"]) {
      expect(payloadLength(s)).toBe(Buffer.byteLength(s) + 2);
    }
    expect(payloadLength(new Uint8Array(4))).toBe(8 + 2); // "b" + 8 base64 chars + separator
    expect(payloadLength(undefined)).toBe(2);
  });
});

describe("endpoint", () => {
  const url = (uri: string | undefined, o = {}) => {
    const opts = { timestampRequests: false, ...o };
    return new URL(transportUrl(endpoint(resolveUri(uri), opts), "polling", null, opts));
  };

  test("scheme, host and port from the URI; the path from options, with a trailing slash", () => {
    const u = url("https://example.com:8443/ns?x=1", { path: "/socket.io" });
    expect(u.origin).toBe("https://example.com:8443");
    expect(u.pathname).toBe("/socket.io/");
    expect(u.searchParams.get("x")).toBe("1");
    expect(u.searchParams.get("EIO")).toBe("4");
  });

  test("ws/wss map to http/https and back; default ports are dropped", () => {
    expect(transportUrl(endpoint(resolveUri("wss://h"), {}), "websocket", null, {})).toBe("wss://h/engine.io/?EIO=4&transport=websocket");
    expect(url("ws://h:80").origin).toBe("http://h");
  });

  test("addTrailingSlash: false, hostname/port/secure options, IPv6, no scheme", () => {
    expect(url("http://h", { addTrailingSlash: false }).pathname).toBe("/engine.io");
    expect(url(undefined, { hostname: "::1", port: 3000, secure: true }).host).toBe("[::1]:3000");
    expect(url("localhost:3000").host).toBe("localhost:3000");
  });

  test("credentials, path and hash of the URI are not part of the endpoint", () => {
    const u = url("http://user:pw@h:81/ns?x=1#frag");
    expect(u.href).toBe("http://h:81/engine.io/?x=1&EIO=4&transport=polling");
  });

  test("query option merges over the URI's; EIO and transport cannot be overridden", () => {
    const u = url("http://h?a=1&EIO=3", { query: "b=2&a=3" });
    expect([u.searchParams.get("a"), u.searchParams.get("b"), u.searchParams.get("EIO")]).toEqual(["3", "2", "4"]);
  });

  test("timestamps make every polling URL unique", () => {
    const e = endpoint(resolveUri("http://h"), {});
    expect(transportUrl(e, "polling", null, {})).not.toBe(transportUrl(e, "polling", null, {}));
    expect(transportUrl(e, "websocket", "abc", {})).toContain("sid=abc");
  });
});
