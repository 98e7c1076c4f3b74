/**
 * Typed event maps, shaped as socket.io's so that an application's event
 * interfaces move over unchanged: `Server<ClientToServer, ServerToClient>`.
 */

/**
 * Maps event names to listener types. The `any` in the index signature is
 * deliberate and confined here: TypeScript lets an *interface* satisfy an
 * index-signature constraint only when the signature's value type is `any`,
 * and applications declare their events as interfaces.
 */
export interface EventsMap {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [event: string]: any;
}

/** The map used when none is given: any event name, any arguments. */
export interface DefaultEventsMap {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [event: string]: (...args: any[]) => void;
}

/** Every event name of a map. */
export type EventNames<Map extends EventsMap> = keyof Map & (string | symbol);

/** The arguments a listener of `Ev` receives, or an emitter of `Ev` passes. */
export type EventParams<Map extends EventsMap, Ev extends EventNames<Map>> = Parameters<Map[Ev]>;

/**
 * Whether `T` is an array of unknown length (the `...args: any[]` of an
 * untyped event, as in DefaultEventsMap) rather than a tuple. Such events
 * accept any arguments, an ack included, as they do in socket.io.
 */
type IsOpenArray<T extends unknown[]> = number extends T["length"] ? true : false;
type Last<T extends unknown[]> = T extends [...infer _H, infer L] ? L : IsOpenArray<T> extends true ? T[number] : never;
type AllButLast<T extends unknown[]> = T extends [...infer H, infer _L] ? H : IsOpenArray<T> extends true ? T : never;
type FirstArg<T> = T extends (arg: infer A, ...rest: never[]) => unknown ? A : never;

/** `(err, ...responses)` form of an ack callback, as `timeout(ms).emit` calls it. */
export type DecorateAcknowledgementWithError<F> = F extends (...args: infer A) => infer R
  ? (err: Error | null, ...args: A) => R
  : never;

/** An ack callback that may also receive a timeout error (`socket.timeout(ms).emit(…, (err, res) => …)`). */
export type DecorateAcknowledgements<E extends EventsMap> = {
  [K in keyof E]: E[K] extends (...args: infer P) => infer R
    ? IsOpenArray<P> extends true
      ? E[K]
      : Last<P> extends (...args: infer A) => unknown
        ? (...args: [...AllButLast<P>, DecorateAcknowledgementWithError<(...args: A) => void>]) => R
        : E[K]
    : E[K];
};

/** For a broadcast with acks: the callback receives one answer per recipient. */
export type DecorateAcknowledgementsWithMultipleResponses<E extends EventsMap> = {
  [K in keyof E]: E[K] extends (...args: infer P) => infer R
    ? IsOpenArray<P> extends true
      ? E[K]
      : Last<P> extends (...args: infer A) => unknown
        ? (...args: [...AllButLast<P>, (err: Error | null, responses: FirstArg<(...args: A) => void>[]) => void]) => R
        : E[K]
    : E[K];
};

/** Arguments of `emitWithAck(ev, ...args)`: the event's arguments without its ack callback. */
export type AllButLastParams<Map extends EventsMap, Ev extends EventNames<Map>> = AllButLast<EventParams<Map, Ev>>;

/** The first argument of an ack callback that is not its `(err, …)` error slot. */
type FirstNonErrorArg<F> = F extends (...args: infer A) => unknown
  ? A extends [infer First, ...infer Rest]
    ? [First] extends [Error | null]
      ? null extends First
        ? Rest[0]
        : First
      : First
    : never
  : never;

/** What a socket's `emitWithAck` resolves to: the answer the ack callback receives. */
export type FirstAckArg<Map extends EventsMap, Ev extends EventNames<Map>> =
  IsOpenArray<EventParams<Map, Ev>> extends true
    ? // an untyped event's answer is untyped, as socket.io's `Promise<any>`
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      any
    : FirstNonErrorArg<Last<EventParams<Map, Ev>>>;

/**
 * What a broadcast's `emitWithAck` resolves to: every recipient's answer. After
 * `timeout()` the map's ack already takes `(err, responses[])`.
 */
export type BroadcastAckResult<Map extends EventsMap, Ev extends EventNames<Map>> =
  IsOpenArray<EventParams<Map, Ev>> extends true
    ? // eslint-disable-next-line @typescript-eslint/no-explicit-any
      any[]
    : Last<EventParams<Map, Ev>> extends (err: Error | null, responses: infer R) => unknown
      ? R
      : FirstNonErrorArg<Last<EventParams<Map, Ev>>>[];

/** Events with no ack callback as their last argument (what a broadcast without timeout may emit). */
export type EventNamesWithoutAck<Map extends EventsMap> = {
  [K in EventNames<Map>]: Last<EventParams<Map, K>> extends (...args: never[]) => unknown ? never : K;
}[EventNames<Map>];

/** Names of reserved events and user events together. */
export type ReservedOrUserEventNames<Reserved extends EventsMap, User extends EventsMap> = EventNames<Reserved> | EventNames<User>;

/**
 * The listener type of `Ev`: the reserved event's when `Ev` is reserved, else
 * the user event's; any listener when the map does not know `Ev`
 * (TypeScript gives `never` there, which no function satisfies).
 */
export type ReservedOrUserListener<Reserved extends EventsMap, User extends EventsMap, Ev> = FallbackToUntyped<
  Ev extends EventNames<Reserved> ? Reserved[Ev] : Ev extends EventNames<User> ? User[Ev] : never
>;

type FallbackToUntyped<T> = [T] extends [never] ? (...args: never[]) => void : T;
