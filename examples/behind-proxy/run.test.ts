// Runs the example as a user would and checks where each client ended up.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { main } = require("./run.js") as { main(): Promise<Record<string, string>> };

test("through nginx: polling behind the proxy that blocks WebSocket, websocket behind the one that passes it", async () => {
  const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
  try {
    const results = await main();
    expect(results).toEqual({
      blockingDefault: "polling",
      blockingWsFirst: "polling",
      passingDefault: "websocket",
      passingWsFirst: "websocket",
    });
    const printed = log.mock.calls.map((c) => String(c[0])).join("\n");
    expect(printed).toMatch(/blocking proxy, default options +-> polling +\(ack: .* via polling\)/);
    expect(printed).toMatch(/passing proxy, default options +-> websocket/);
  } finally {
    log.mockRestore();
  }
}, 60000);
