import fc from "fast-check";
import { Packr } from "msgpackr";

/*
 * Valid roomcast.v1 packets as wire arrays (docs/PROTOCOL.md §2), written from the spec rather
 * than from the codecs under test, and their two encodings. Binary arguments are Uint8Arrays:
 * `{"$bin": base64}` in JSON, MessagePack `bin` in msgpack.
 */

/** From docs/PROTOCOL.md: ack ids are 32-bit, resume fields at most 128 characters. */
export const MAX_ACK_ID = 0xffff_ffff;
export const MAX_RESUME_FIELD = 128;

/** Strings a generated resume field may hold that a live harness swaps for a real session's. */
export const RESUME_PID = "$PID";
export const RESUME_POSITION = "$POS";

export interface RoomcastWireOptions {
  /** Namespaces to address; the first is where most packets go. */
  namespaces?: readonly string[];
  /** Event names the server listens to, so that generated events reach its handlers. */
  events?: readonly string[];
  /** Resume requests name a real session (see RESUME_PID) at times. */
  resume?: boolean;
}

const RESERVED = ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener", "error"];

/** Any argument value: the JSON types, bytes (binary attachments), keys that mean something to someone. */
export const argValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { maxDepth: 4, depthSize: "small" },
    fc.oneof(
      fc.string({ maxLength: 16 }),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
      fc.boolean(),
      fc.constant(null),
      fc.uint8Array({ maxLength: 16 }),
    ),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom("__proto__", "constructor", "$bin", "_placeholder")), tie("value"), { maxKeys: 4 }),
  ),
})).value;

export const ackId: fc.Arbitrary<number> = fc.oneof(fc.constantFrom(0, 1, 2, MAX_ACK_ID), fc.nat({ max: 100 }), fc.integer({ min: 0, max: MAX_ACK_ID }));

function namespace(options: RoomcastWireOptions): fc.Arbitrary<string> {
  const known = options.namespaces ?? ["/", "/chat"];
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(known[0]) },
    { weight: 3, arbitrary: fc.constantFrom(...known) },
    { weight: 1, arbitrary: fc.string({ maxLength: 10 }).map((s) => `/${s}`) },
  );
}

function eventName(options: RoomcastWireOptions): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...(options.events ?? ["message"])) },
    { weight: 1, arbitrary: fc.constantFrom(...RESERVED) },
    { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  );
}

function resumeField(options: RoomcastWireOptions, real: string): fc.Arbitrary<string> {
  const any = fc.string({ maxLength: MAX_RESUME_FIELD });
  return options.resume ? fc.oneof({ weight: 3, arbitrary: fc.constant(real) }, { weight: 1, arbitrary: any }) : any;
}

const auth = fc.dictionary(fc.constantFrom("token", "user", "pid", "offset"), fc.oneof(fc.string({ maxLength: 12 }), fc.constant("s3cret"), fc.integer()), { maxKeys: 3 });

/** Packets a client sends: CONNECT (with auth and resume), DISCONNECT, EVENT, EVENT_WITH_ACK, ACK, HEARTBEAT, EVENT_ONCE. */
export function clientWire(options: RoomcastWireOptions = {}): fc.Arbitrary<unknown[]> {
  const nsp = namespace(options);
  const args = fc.array(argValue, { maxLength: 4 });
  const event = eventName(options);
  const resume = fc.record({ pid: resumeField(options, RESUME_PID), position: resumeField(options, RESUME_POSITION) });
  return fc.oneof(
    { weight: 2, arbitrary: nsp.map((n) => [0, n]) },
    { weight: 1, arbitrary: fc.tuple(nsp, auth).map(([n, a]) => [0, n, a]) },
    { weight: 1, arbitrary: fc.tuple(nsp, fc.option(auth), resume).map(([n, a, r]) => [0, n, a, r]) },
    { weight: 1, arbitrary: nsp.map((n) => [3, n]) },
    { weight: 5, arbitrary: fc.tuple(nsp, event, args).map(([n, e, a]) => [4, n, e, ...a]) },
    { weight: 4, arbitrary: fc.tuple(nsp, ackId, event, args).map(([n, id, e, a]) => [5, n, id, e, ...a]) },
    { weight: 2, arbitrary: fc.tuple(nsp, ackId, args).map(([n, id, a]) => [6, n, id, ...a]) },
    { weight: 1, arbitrary: fc.constant<unknown[]>([7]) },
    { weight: 2, arbitrary: fc.tuple(nsp, ackId, event, args).map(([n, id, e, a]) => [9, n, id, e, ...a]) },
  );
}

/** Packets a server sends: CONNECTED (with recovery fields), CONNECT_ERROR, DISCONNECT, events, ACK, HEARTBEAT, EVENT_AT. */
export function serverWire(options: RoomcastWireOptions = {}): fc.Arbitrary<unknown[]> {
  const nsp = namespace(options);
  const args = fc.array(argValue, { maxLength: 4 });
  const event = eventName(options);
  const position = fc.tuple(fc.string({ maxLength: 8 }).filter((s) => !s.includes(":")), fc.nat()).map(([epoch, offset]) => `${epoch}:${offset}`);
  const info = fc.record(
    {
      sid: fc.string({ maxLength: 20 }),
      pingInterval: fc.nat(),
      pingTimeout: fc.nat(),
      pid: fc.string({ maxLength: 20 }),
      recovered: fc.boolean(),
      missed: fc.nat(),
      position,
    },
    { requiredKeys: ["sid", "pingInterval", "pingTimeout"] },
  );
  return fc.oneof(
    fc.tuple(nsp, info).map(([n, i]) => [1, n, i]),
    fc.tuple(nsp, fc.string({ maxLength: 20 }), fc.option(argValue, { nil: undefined })).map(([n, m, d]) => (d === undefined ? [2, n, m] : [2, n, m, d])),
    nsp.map((n) => [3, n]),
    fc.tuple(nsp, event, args).map(([n, e, a]) => [4, n, e, ...a]),
    fc.tuple(nsp, ackId, event, args).map(([n, id, e, a]) => [5, n, id, e, ...a]),
    fc.tuple(nsp, ackId, args).map(([n, id, a]) => [6, n, id, ...a]),
    fc.constant<unknown[]>([7]),
    fc.tuple(nsp, position, event, args).map(([n, p, e, a]) => [8, n, p, e, ...a]),
  );
}

/* Plain MessagePack as the spec asks: no records, no extensions of msgpackr's own. */
const packr = new Packr({ useRecords: false, moreTypes: false });

/** The JSON text of a wire value: bytes as `{"$bin": base64}`. Undefined when JSON cannot hold it. */
export function encodeJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value, (_key, item: unknown) => (item instanceof Uint8Array ? { $bin: Buffer.from(item).toString("base64") } : item));
  } catch {
    return undefined; // nested past the stack of this process: nothing a peer could not send as text anyway
  }
}

/** The MessagePack bytes of a wire value. Undefined when msgpackr cannot write it. */
export function encodeMsgpack(value: unknown): Uint8Array | undefined {
  try {
    return packr.pack(value);
  } catch {
    return undefined;
  }
}

/** Replaces every string equal to `from` in a wire value, in place (resume placeholders). */
export function substitute(value: unknown, replacements: ReadonlyMap<string, string>): unknown {
  if (typeof value === "string") return replacements.get(value) ?? value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = substitute(value[i], replacements);
  } else if (typeof value === "object" && value !== null && !(value instanceof Uint8Array)) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) Object.defineProperty(record, key, { value: substitute(record[key], replacements), enumerable: true, writable: true, configurable: true });
  }
  return value;
}

/** True when the wire value holds one of `strings` anywhere. */
export function mentions(value: unknown, strings: readonly string[]): boolean {
  if (typeof value === "string") return strings.includes(value);
  if (Array.isArray(value)) return value.some((item) => mentions(item, strings));
  if (typeof value === "object" && value !== null && !(value instanceof Uint8Array)) return Object.values(value).some((item) => mentions(item, strings));
  return false;
}
