/**
 * The CommonJS entry (`require("@duplex/client")`): callable like
 * socket.io-client's, `const io = require("@duplex/client"); io(url)`, with
 * every named export (`io.Manager`, `io.connect`, …) on the function too.
 * ES module imports use index.ts directly.
 */
import * as api from "./index";

export = Object.assign(api.io, api);
