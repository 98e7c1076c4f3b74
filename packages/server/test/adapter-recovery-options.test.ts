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
