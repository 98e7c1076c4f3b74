import { Adapter, Server, type AdapterNamespace } from "@duplex/server";

// A multi-node adapter (Redis) keeps recovery state itself, so it must learn
// the server's connectionStateRecovery options from its namespace.
describe("AdapterNamespace.recoveryOptions", () => {
  function seen(opts: ConstructorParameters<typeof Server>[1]): AdapterNamespace["recoveryOptions"] {
    let got: AdapterNamespace["recoveryOptions"] = undefined;
    class Probe extends Adapter {
      constructor(nsp: AdapterNamespace) {
        super(nsp);
        got = nsp.recoveryOptions;
      }
    }
    const io = new Server({ ...opts, adapter: Probe });
    void io.close();
    return got;
  }

  test("gives the resolved options to a custom adapter when recovery is on", () => {
    expect(seen({ connectionStateRecovery: { maxDisconnectionDuration: 5000 } })).toEqual({ maxDisconnectionDuration: 5000, skipMiddlewares: true });
  });

  test("is null when recovery is off", () => {
    expect(seen({})).toBeNull();
  });
});

describe("AdapterSocket.pid", () => {
  test("is the recovery pid the client got, readable by the adapter when the socket joins its own room", async () => {
    const { startServer, once } = await import("./helpers");
    const pids: Array<string | undefined> = [];
    class Probe extends Adapter {
      override addAll(id: string, rooms: Set<string>): void {
        pids.push(this.nsp.sockets.get(id)?.pid);
        super.addAll(id, rooms);
      }
    }
    const h = await startServer({ connectionStateRecovery: {}, adapter: Probe });
    try {
      const client = h.client();
      client.connect();
      await once(client, "connect");
      const clientPid = (client as unknown as { _pid?: string })._pid;
      expect(typeof clientPid).toBe("string");
      expect(pids).toEqual([clientPid]);
    } finally {
      await h.close();
    }
  });
});
