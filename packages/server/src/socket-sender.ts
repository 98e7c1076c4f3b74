import type { Socket } from "./socket";
import { emitWithFlags } from "./internal";
import type { AllButLastParams, DecorateAcknowledgements, DefaultEventsMap, EventNames, EventParams, EventsMap, FirstAckArg } from "@duplex/protocol";

/** Flags of one emit (`socket.timeout(ms).volatile.emit(…)`). */
export interface EmitFlags {
  volatile?: boolean;
  compress?: boolean;
  timeout?: number;
}

type AnySocket = Socket<EventsMap, EventsMap, EventsMap, unknown>;

/**
 * `socket.timeout(ms)`, `socket.volatile`, `socket.compress(b)`: an immutable
 * view of a socket with emit flags; the socket itself keeps no per-call state.
 */
export class SocketSender<EmitEvents extends EventsMap = DefaultEventsMap> {
  constructor(
    private readonly socket: AnySocket,
    private readonly flags: EmitFlags,
  ) {}

  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    return this.socket[emitWithFlags](this.flags, ev as string, args);
  }

  /** Resolves with the first argument of the ack; rejects on timeout or disconnect. */
  emitWithAck<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: AllButLastParams<EmitEvents, Ev>): Promise<FirstAckArg<EmitEvents, Ev>> {
    return new Promise((resolve, reject) => {
      const settle = (err: Error | null, answer: FirstAckArg<EmitEvents, Ev>) => (err ? reject(err) : resolve(answer));
      this.socket[emitWithFlags](this.flags, ev as string, [...(args as unknown[]), settle], true);
    });
  }

  timeout(ms: number): SocketSender<DecorateAcknowledgements<EmitEvents>> {
    return new SocketSender(this.socket, { ...this.flags, timeout: ms });
  }

  get volatile(): SocketSender<EmitEvents> {
    return new SocketSender(this.socket, { ...this.flags, volatile: true });
  }

  compress(compress: boolean): SocketSender<EmitEvents> {
    return new SocketSender(this.socket, { ...this.flags, compress });
  }
}
