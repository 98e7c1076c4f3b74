// Binary attachments: finding binary values in a payload, replacing them with
// placeholders (encode), and putting attachments back (decode).
// Spec: socket.io-protocol v5, "Packet encoding" → binary events: each binary
// value becomes {"_placeholder":true,"num":n} and travels as message n+1.

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

// Looked up once: Node >= 18 and browsers have a global Blob (File extends it).
const BlobCtor: (abstract new (...args: never[]) => BlobLike) | undefined = (() => {
  const ctor = (globalThis as { Blob?: unknown }).Blob;
  return typeof ctor === "function" ? (ctor as abstract new (...args: never[]) => BlobLike) : undefined;
})();

const ObjectProto = Object.prototype;
const hasOwn = Object.prototype.hasOwnProperty;

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
  return typeof value === "object" && value !== null && isBinaryObject(value);
}

function isBinaryObject(value: object): boolean {
  return (
    value instanceof ArrayBuffer ||
    ArrayBuffer.isView(value) ||
    (BlobCtor !== undefined && value instanceof BlobCtor)
  );
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

function scan(value: object, viaToJSON: boolean): boolean {
  if (Array.isArray(value)) {
    for (let i = 0, n = value.length; i < n; i++) {
      const item: unknown = value[i];
      if (typeof item === "object" && item !== null && scan(item, false)) return true;
    }
    return false;
  }
  // A plain object can never be binary: skip the three instanceof checks.
  if (Object.getPrototypeOf(value) !== ObjectProto && isBinaryObject(value)) return true;
  if (!viaToJSON) {
    const toJSON = (value as WithToJSON).toJSON;
    if (typeof toJSON === "function") {
      const json: unknown = toJSON.call(value);
      return typeof json === "object" && json !== null && scan(json, true);
    }
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
export function deconstruct(value: unknown, buffers: Binary[], viaToJSON = false): unknown {
  if (!value || typeof value !== "object") return value;
  if (isBinaryObject(value)) {
    const placeholder: Placeholder = { _placeholder: true, num: buffers.length };
    buffers.push(value as Binary);
    return placeholder;
  }
  if (Array.isArray(value)) {
    const n = value.length;
    const copy: unknown[] = new Array(n);
    for (let i = 0; i < n; i++) copy[i] = deconstruct(value[i], buffers);
    return copy;
  }
  if (value instanceof Date) return value;
  if (!viaToJSON) {
    const toJSON = (value as WithToJSON).toJSON;
    if (typeof toJSON === "function") return deconstruct(toJSON.call(value), buffers, true);
  }
  const copy: Record<string, unknown> = {};
  for (const key in value) {
    if (!hasOwn.call(value, key)) continue;
    const item = deconstruct((value as Record<string, unknown>)[key], buffers);
    if (key === "__proto__") {
      Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
    } else {
      copy[key] = item;
    }
  }
  return copy;
}

/**
 * Where a binary packet's placeholders sit, as three parallel arrays (no
 * object per placeholder): `holders[k][keys[k]]` gets attachment `nums[k]`.
 */
export interface PlaceholderSites {
  holders: object[];
  keys: (string | number)[];
  nums: number[];
}

/**
 * Finds every placeholder in decoded JSON, iteratively (any nesting depth is
 * safe), and checks each `num` is an integer below `attachments`.
 * Returns the sites, or the first bad placeholder's description ("" in terse builds).
 */
export function findPlaceholders(data: unknown, attachments: number): PlaceholderSites | string {
  const sites: PlaceholderSites = { holders: [], keys: [], nums: [] };
  if (typeof data !== "object" || data === null) return sites;
  const stack: object[] = [data];
  while (stack.length > 0) {
    const holder = stack.pop() as object;
    if (Array.isArray(holder)) {
      for (let i = 0, n = holder.length; i < n; i++) {
        const problem = visit(holder, i, holder[i], attachments, sites, stack);
        if (problem !== undefined) return problem;
      }
    } else {
      const keys = Object.keys(holder);
      for (let i = 0, n = keys.length; i < n; i++) {
        const key = keys[i] as string;
        const problem = visit(holder, key, (holder as Record<string, unknown>)[key], attachments, sites, stack);
        if (problem !== undefined) return problem;
      }
    }
  }
  return sites;
}

function visit(
  holder: object,
  key: string | number,
  value: unknown,
  attachments: number,
  sites: PlaceholderSites,
  stack: object[],
): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  if (!Array.isArray(value) && (value as { _placeholder?: unknown })._placeholder === true && hasOwn.call(value, "_placeholder")) {
    const num: unknown = (value as { num?: unknown }).num;
    if (typeof num !== "number" || !Number.isInteger(num) || num < 0 || num >= attachments) {
      if (globalThis.__DUPLEX_TERSE__) return ""; // terse builds: the decoder's error is its code
      return `expected a placeholder num that is an integer from 0 to ${attachments - 1}, got ${describeNum(num)}`;
    }
    sites.holders.push(holder);
    sites.keys.push(key);
    sites.nums.push(num);
    return undefined;
  }
  stack.push(value);
  return undefined;
}

function describeNum(num: unknown): string {
  return typeof num === "string" ? JSON.stringify(num.slice(0, 40)) : typeof num === "number" ? String(num) : typeof num;
}

/** Puts attachments into the places `findPlaceholders` recorded (mutates the payload). */
export function reconstruct(sites: PlaceholderSites, attachments: readonly Binary[]): void {
  const { holders, keys, nums } = sites;
  for (let k = 0, n = holders.length; k < n; k++) {
    const key = keys[k] as string | number;
    const holder = holders[k] as Record<string | number, unknown>;
    // JSON.parse makes "__proto__" an own data property; defineProperty keeps it
    // one even if a reviver replaced the holder with something odd.
    if (key === "__proto__") {
      Object.defineProperty(holder, key, { value: attachments[nums[k] as number], enumerable: true, writable: true, configurable: true });
    } else {
      holder[key] = attachments[nums[k] as number];
    }
  }
}
