/**
 * Keys of the methods that the server's classes call on one another. They
 * are symbols, so that this plumbing stays off the public API of Server,
 * Namespace, Client and Socket while each class keeps it as its own method.
 * This module has no imports: every class module may import it without a
 * cycle (computed method keys are read when the class is defined).
 */

// Client: what its namespaces and sockets call.
/** Encodes and writes one packet to this client only (Client, and a Socket for its own client). */
export const writePacket = Symbol("writePacket");
/** Writes a broadcast encoded once for all its recipients. */
export const writeEncoded = Symbol("writeEncoded");
/** A namespace socket left (Client, and Namespace). */
export const removeSocket = Symbol("removeSocket");
/** A namespace's middleware refused the CONNECT. */
export const onConnectRefused = Symbol("onConnectRefused");
/** `socket.disconnect(true)`: leave every namespace, then close the session. */
export const disconnectAll = Symbol("disconnectAll");
/** The client sent a packet that does not decode, or an event with a reserved name. */
export const onInvalidPacket = Symbol("onInvalidPacket");

// Namespace: what the server, its parent, its clients and sockets call.
/** Runs when a dynamic child's last socket left (set when cleanupEmptyChildNamespaces is on). */
export const onEmpty = Symbol("onEmpty");
/** Re-creates the adapter, once the server's adapter class changed. */
export const resetAdapter = Symbol("resetAdapter");
/** Copies another namespace's middlewares (dynamic children inherit their parent's). */
export const inheritMiddlewares = Symbol("inheritMiddlewares");
/** Emits to this node's listeners (not a broadcast). */
export const emitLocal = Symbol("emitLocal");
/** A client asks to join the namespace. */
export const joinNamespace = Symbol("joinNamespace");
/** A CONNECT ended without a socket. */
export const joinAbandoned = Symbol("joinAbandoned");

// Server: what its namespaces, clients and sockets call.
/** The options of the server's decoder. */
export const decoderOptions = Symbol("decoderOptions");
/** Makes a namespace's adapter from the server's adapter class. */
export const createAdapter = Symbol("createAdapter");
/** The socket id of a new namespace socket. */
export const generateSocketId = Symbol("generateSocketId");
/** Finds (or creates, for a dynamic match) the namespace a CONNECT names. */
export const resolveNamespace = Symbol("resolveNamespace");
/** A dynamic child namespace was removed. */
export const forgetNamespace = Symbol("forgetNamespace");

// ParentNamespace: what the server calls.
/** Creates a child namespace. */
export const createChild = Symbol("createChild");

// Socket: what its client, namespace and senders call.
/** Emits with flags (volatile, compress, timeout). */
export const emitWithFlags = Symbol("emitWithFlags");
/** The namespace's middlewares passed: send CONNECT. */
export const connectSocket = Symbol("connectSocket");
/** A packet for this namespace arrived from the client. */
export const routePacket = Symbol("routePacket");
/** Ends the socket with a reason. */
export const closeSocket = Symbol("closeSocket");
/** Ends a socket that never connected. */
export const discardSocket = Symbol("discardSocket");
/** The client's buffered outbound bytes fell back to maxBackpressure. */
export const notifyDrain = Symbol("notifyDrain");
/** Reports a middleware error or an invalid packet. */
export const reportError = Symbol("reportError");
