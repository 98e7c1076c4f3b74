/**
 * The emitter `Manager` and `Socket` extend, and the one seam between the
 * code Node runs and the code the browser bundles run: here eventemitter3;
 * in duplex.min.js and duplex.esm.min.js, scripts/bundle.mjs resolves this
 * import to the engine client's Emitter (packages/engine/src/client/emitter.ts),
 * which has the calls the client and socket.io-client's users make (`on`,
 * `once`, `off`, `emit`, `listeners`, and eventemitter3's aliases) in far
 * fewer bytes. Nothing else in the client imports an emitter.
 */
export { default as EventEmitter } from "eventemitter3";
