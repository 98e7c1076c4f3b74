import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";

/**
 * Serves the requests of sessions that live on another server node, so that
 * a load balancer without sticky sessions may send any request of a session
 * to any node. A multi-node adapter sets one on the engine
 * (`engine.forwarder`); without one, a request for a sid the engine does not
 * hold is refused as usual ("Session ID unknown").
 */
export interface SessionForwarder {
  /**
   * The sid of a session this node opens, made from the id `generateId`
   * chose: the forwarder marks it so that other nodes know where it lives.
   */
  ownSid(id: string): string;
  /**
   * A polling request (or CORS preflight) for a sid this engine does not
   * hold. Returns true when the forwarder took it (and will answer it),
   * false to let the engine refuse it.
   */
  forwardRequest(req: IncomingMessage, res: ServerResponse, sid: string): boolean;
  /** The same for a WebSocket upgrade: true when the forwarder took the socket. */
  forwardUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, sid: string): boolean;
}
