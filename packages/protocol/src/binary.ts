// Binary attachments: finding binary values in a payload, replacing them with
// placeholders (encode), and putting attachments back (decode).
// Spec: socket.io-protocol v5, "Packet encoding" → binary events: each binary
// value becomes {"_placeholder":true,"num":n} and travels as message n+1.

import { DecodeError } from "./errors";
import { FULL_MESSAGES } from "./build";

/**
 * The part of the `Blob` interface Duplex relies on. Declared here so the
 * package's types need neither the DOM nor Node typings.
 */
export interface BlobLike {
  readonly size: number;
  readonly type: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * A binary value: an `ArrayBuffer`, any view on one (Node `Buffer`, typed
 * arrays, `DataView`), or a `Blob` / `File` where the runtime has them.
 */
export type Binary = ArrayBuffer | ArrayBufferView | BlobLike;

/** A placeholder as it appears in the JSON of a binary packet. */
export interface Placeholder {
  _placeholder: true;
  num: number;
}

// Node >= 18 and browsers have a global Blob (File extends it). Where there is
// none, ArrayBuffer stands in: isBinary checks it anyway, so nothing else is binary.
const BlobCtor = (globalThis as { Blob?: unknown }).Blob;
const BlobLikeCtor = (typeof BlobCtor === "function" ? BlobCtor : ArrayBuffer) as abstract new (...args: never[]) => BlobLike;

/**
 * Whether `value` is binary data that travels as an attachment.
 *
 * @example
 * ```ts
 * isBinary(new Uint8Array(2)); // true
 * isBinary([1, 2]);            // false
 * ```
 */
export function isBinary(value: unknown): value is Binary {
  // instanceof and isView are false for primitives: no object check needed.
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value) || value instanceof BlobLikeCtor;
}

interface WithToJSON {
  toJSON?: unknown;
}

/**
 * Whether binary data occurs anywhere in `value`, looking into arrays, objects
 * and what `toJSON()` returns, exactly where socket.io-parser 4.x looks (so an
 * EVENT becomes a BINARY_EVENT in the same cases).
 *
 * Recursive: a circular value ends in a RangeError, which the encoder reports
 * as an `UNSERIALIZABLE_DATA` error (JSON.stringify would refuse it anyway).
 */
export function hasBinary(value: unknown): boolean {
  return typeof value === "object" && value !== null && scan(value, false);
}

const hasOwn = Object.prototype.hasOwnProperty;

// The encoder's hot path: every EVENT and ACK is scanned, so this is written
// for speed (shorter forms are slower in bench/protocol.bench.js): primitives
// are skipped before the call, plain objects before isBinary's instanceof
// checks, the loops allocate no iterator or array, and own keys are tested
// with hasOwnProperty, which is faster than Object.hasOwn in a for…in loop.
function scan(value: object, viaToJSON: boolean): boolean {
  if (Array.isArray(value)) {
    // Arrays are neither binary nor followed through toJSON, as in socket.io-parser.
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === "object" && item !== null && scan(item, false)) return true;
    }
    return false;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype && isBinary(value)) return true;
  const toJSON = (value as WithToJSON).toJSON;
  if (!viaToJSON && typeof toJSON === "function") {
    const json: unknown = toJSON.call(value);
    return typeof json === "object" && json !== null && scan(json, true);
  }
  for (const key in value) {
    if (!hasOwn.call(value, key)) continue;
    const item: unknown = (value as Record<string, unknown>)[key];
    if (typeof item === "object" && item !== null && scan(item, false)) return true;
  }
  return false;
}

/**
 * Copies `value` with every binary value replaced by a placeholder, pushing
 * the binaries onto `buffers` in placeholder order.
 *
 * Mirrors socket.io-parser 4.x so the JSON is byte-identical: falsy values and
 * Dates pass through, `toJSON()` is called (without a key) once per object,
 * other objects are copied through their own enumerable keys. One deliberate
 * difference: an own `__proto__` key is kept as data, where socket.io-parser's
 * copy turns it into the copy's prototype and drops it from the output.
 */
export function deconstruct(value: unknown, buffers: Binary[], viaToJSON?: boolean): unknown {
  if (!value || typeof value !== "object" || value instanceof Date) return value;
  if (isBinary(value)) {
    const placeholder: Placeholder = { _placeholder: true, num: buffers.push(value) - 1 };
    return placeholder;
  }
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    for (const item of value) copy.push(deconstruct(item, buffers));
    return copy;
  }
  const toJSON = (value as WithToJSON).toJSON;
  if (!viaToJSON && typeof toJSON === "function") return deconstruct(toJSON.call(value), buffers, true);
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = deconstruct((value as Record<string, unknown>)[key], buffers);
    if (key === "__proto__") setOwn(copy, key, item);
    else copy[key] = item;
  }
  return copy;
}

/**
 * Sets an own, enumerable data property, even one named "__proto__", which an
 * assignment would turn into the object's prototype instead.
 */
function setOwn(target: object, key: PropertyKey, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Walks every placeholder of a decoded payload, iteratively (any nesting depth
 * is safe), and checks each `num` is an integer below `count`. Given the
 * attachments, also puts attachment `num` in each placeholder's place. The
 * decoder calls it twice: on the packet's text, to refuse a bad packet before
 * buffering its attachments, then with the attachments once they are all in
 * (one walker for both; the second walk checks again as it fills).
 * @throws {DecodeError} `INVALID_PLACEHOLDER` for the first bad placeholder.
 */
export function placeholders(data: unknown[], count: number, attachments?: readonly Binary[]): void {
  const stack: object[] = [data];
  while (stack.length > 0) {
    const holder = stack.pop() as Record<string | number, unknown>;
    // An array's indices as numbers (no string per element), in an indexed
    // loop: for…of over keys() iterators is slower (bench/protocol.bench.js,
    // binary decode).
    const keys: (string | number)[] | undefined = Array.isArray(holder) ? undefined : Object.keys(holder);
    for (let k = 0, n = keys ? keys.length : (holder as unknown as unknown[]).length; k < n; k++) {
      const key = keys ? keys[k] : k;
      const value = holder[key];
      if (typeof value !== "object" || value === null) continue;
      // Own property only: a polluted Object.prototype._placeholder makes no placeholders.
      if (Array.isArray(value) || (value as { _placeholder?: unknown })._placeholder !== true || !Object.hasOwn(value, "_placeholder")) {
        stack.push(value);
        continue;
      }
      const num: unknown = (value as { num?: unknown }).num;
      if (typeof num !== "number" || !Number.isInteger(num) || num < 0 || num >= count) {
        throw new DecodeError(
          "INVALID_PLACEHOLDER",
          FULL_MESSAGES && `expected a placeholder num that is an integer from 0 to ${count - 1}, got ${describeNum(num)}`,
        );
      }
      // JSON.parse makes "__proto__" an own data property; setOwn keeps it one
      // (only there: defineProperty is slower than an assignment).
      if (attachments) {
        if (key === "__proto__") setOwn(holder, key, attachments[num]);
        else holder[key] = attachments[num];
      }
    }
  }
}

function describeNum(num: unknown): string {
  return typeof num === "string" ? JSON.stringify(num.slice(0, 40)) : typeof num === "number" ? String(num) : typeof num;
}
