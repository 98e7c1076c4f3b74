// Requests across nodes, from the side that asks: fetchSockets,
// serverSideEmitWithAck and broadcasts with acks. Each waits for the nodes
// the heartbeats say are alive, and ends when all answered, one left, or the
// timeout passed: none can hang. The side that answers is the adapter's
// receive(), which needs the local rooms and sockets.
import type { BroadcastOptions, SocketDetails } from "@duplex/server";
import { MessageType } from "./envelope";
import type { NodeTracker } from "./nodes";
import { RedisUnavailableError, type PubSub } from "./pubsub";
import { Requests } from "./requests";
import { toWireTarget, type ResponseMessage } from "./wire";

export class ClusterRequests {
  private readonly pending = new Requests();

  constructor(
    private readonly pubsub: PubSub,
    private readonly nodes: NodeTracker,
    private readonly timeout: number,
  ) {}

  /** Adds the sockets of the other nodes matching `opts` to `found` (this node's). */
  fetchSockets(opts: BroadcastOptions, found: SocketDetails[]): Promise<SocketDetails[]> {
    if (this.nodes.size === 0) return Promise.resolve(found);
    if (this.pubsub.state !== "up") return Promise.reject(unavailable("fetchSockets"));
    return new Promise((resolve, reject) => {
      const req = this.pending.open(this.nodes.uids(), this.timeout, {
        onAnswer: (msg) => {
          if (msg.type !== MessageType.FETCH_SOCKETS_RESPONSE) return false;
          for (const s of msg.header.s) found.push({ id: s.id, handshake: s.handshake, rooms: new Set(s.rooms), data: s.data });
          return true;
        },
        onEnd: (err) => (err ? reject(err) : resolve(found)),
      });
      this.pubsub.signal(MessageType.FETCH_SOCKETS, { ...toWireTarget(opts), req });
    });
  }

  /** A server-side event whose `callback` gets `(err, responses)`, one response per node. */
  serverSideEmitWithAck(data: unknown[], callback: (err: Error | null, responses: unknown[]) => void): void {
    if (this.nodes.size === 0) return callback(null, []);
    if (this.pubsub.state !== "up") return callback(unavailable("serverSideEmitWithAck"), []);
    const responses: unknown[] = [];
    const req = this.pending.open(this.nodes.uids(), this.timeout, {
      onAnswer: (msg) => {
        if (msg.type !== MessageType.SERVER_SIDE_EMIT_RESPONSE) return false;
        responses.push(msg.header.a);
        return true;
      },
      onEnd: (err) => callback(err, responses),
    });
    this.pubsub.signal(MessageType.SERVER_SIDE_EMIT, { a: data, req });
  }

  /**
   * Sends a packet with an ack id to the other nodes' sockets; each node
   * answers with how many clients it sent it to, then with their acks.
   */
  broadcastWithAck(data: unknown[], opts: BroadcastOptions, clientCount: (count: number) => void, ack: (response: unknown) => void): void {
    if (this.nodes.size === 0) return;
    // The other nodes cannot get the packet: each counts as a node that sent it to nobody.
    if (this.pubsub.state !== "up") {
      for (let i = 0; i < this.nodes.size; i++) clientCount(0);
      return;
    }
    const req = this.pending.open(this.nodes.uids(), opts.flags?.timeout ?? this.timeout, {
      onAnswer: (msg) => {
        if (msg.type === MessageType.BROADCAST_CLIENT_COUNT) clientCount(msg.header.n);
        else if (msg.type === MessageType.BROADCAST_ACK) ack(msg.header.a);
        // Only the count completes a node's part; acks keep coming until the timeout.
        return msg.type === MessageType.BROADCAST_CLIENT_COUNT;
      },
      // A node gone before it counted has sent the packet to nobody.
      onNodeGone: () => clientCount(0),
      onEnd: () => {},
      keepUntilTimeout: true,
    });
    this.pubsub.signal(MessageType.BROADCAST_WITH_ACK, { ...toWireTarget(opts), req, d: data });
  }

  /** An answer to one of this node's requests. */
  answered(msg: ResponseMessage): void {
    this.pending.answer(msg.header.req, msg);
  }

  /** A node is gone: nobody waits for it any more. */
  nodeGone(uid: string): void {
    this.pending.nodeGone(uid);
  }

  /** Ends every request with what arrived (the adapter closes). */
  closeAll(): void {
    this.pending.closeAll();
  }

  /** Redis became unreachable: the requests in flight will get no more answers. */
  failAll(): void {
    this.pending.failAll(unavailable("the request"));
  }
}

function unavailable(what: string): RedisUnavailableError {
  return new RedisUnavailableError(`${what} needs the other nodes, and Redis is unreachable`);
}
