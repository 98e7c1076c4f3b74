import type { AllButLastParams, DecorateAcknowledgements, DefaultEventsMap, EventNames, EventParams, EventsMap, FirstAckArg } from "@duplex/protocol";
import type { Socket } from "./socket";

/** Flags of one emit: `socket.timeout(ms).volatile.compress(false).emit(…)`. */
export interface EmitFlags {
  volatile?: boolean;
  compress?: boolean;
  timeout?: number;
}

type AnySocket = Socket<EventsMap, EventsMap>;

/** `socket.timeout(ms)`, `socket.volatile`, `socket.compress(b)`: an immutable view with emit flags. */
export class SocketSender<EmitEvents extends EventsMap = DefaultEventsMap> {
  readonly #socket: AnySocket;
  readonly #flags: EmitFlags;

  constructor(socket: AnySocket, flags: EmitFlags) {
    this.#socket = socket;
    this.#flags = flags;
  }

  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): AnySocket {
    return this.#socket.emitWith(this.#flags, ev as string, args);
  }

  emitWithAck<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: AllButLastParams<EmitEvents, Ev>): Promise<FirstAckArg<EmitEvents, Ev>> {
    return new Promise((resolve, reject) => {
      const settle = (err: Error | null, answer: FirstAckArg<EmitEvents, Ev>) => (err ? reject(err) : resolve(answer));
      this.#socket.emitWith(this.#flags, ev as string, [...(args as unknown[]), settle], true);
    });
  }

  timeout(ms: number): SocketSender<DecorateAcknowledgements<EmitEvents>> {
    return new SocketSender(this.#socket, { ...this.#flags, timeout: ms });
  }

  get volatile(): SocketSender<EmitEvents> {
    return new SocketSender(this.#socket, { ...this.#flags, volatile: true });
  }

  compress(compress: boolean): SocketSender<EmitEvents> {
    return new SocketSender(this.#socket, { ...this.#flags, compress });
  }
}
