import { DEFAULT_DECODE_LIMITS, MAX_ACK_ID, MAX_RESUME_FIELD_LENGTH, type Packet, ProtocolError } from "@roomcast/protocol";

/*
 * The properties every decoder of this package must keep, whatever it is fed: it returns a packet
 * of a documented shape, or throws a ProtocolError whose code and close code are paired as
 * docs/ERRORS.md pairs them. Failures are plain Errors with a message that says which rule broke.
 */

/** docs/ERRORS.md: the close code that ends a connection for each decoding error. */
const DOCUMENTED_CLOSE: Readonly<Record<string, number>> = {
  ERR_INVALID_PACKET: 1002,
  ERR_INVALID_PAYLOAD: 1007,
  ERR_UNSUPPORTED_DATA: 1003,
};

export function fail(why: string): never {
  throw new Error(why);
}

/** The outcome of a decoder that threw `err`, if `err` is a documented ProtocolError. */
export function errorOutcome(err: unknown): string {
  if (!(err instanceof ProtocolError)) fail(`threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)} instead of a ProtocolError`);
  const close = DOCUMENTED_CLOSE[err.code];
  if (close === undefined) fail(`ProtocolError with code ${err.code}, not a decoding error of docs/ERRORS.md`);
  if (err.closeCode !== close) fail(`${err.code} with close code ${err.closeCode}; docs/ERRORS.md pairs it with ${close}`);
  return `${err.code} ${err.closeCode}`;
}

/** Levels of arrays and objects (bytes are values, not containers). Iterative: values may be deep. */
export function depthOf(value: unknown): number {
  let deepest = 0;
  const work: [unknown, number][] = [[value, 0]];
  while (work.length > 0) {
    const [node, above] = work.pop() as [unknown, number];
    if (typeof node !== "object" || node === null || ArrayBuffer.isView(node) || node instanceof Date) continue;
    deepest = Math.max(deepest, above + 1);
    for (const child of Object.values(node)) work.push([child, above + 1]);
  }
  return deepest;
}

/** Only values a JSON or MessagePack peer can mean: no Map, Set, RegExp, Error… (a Date only from a msgpack timestamp). */
export function checkPlainValues(value: unknown, dates: boolean): void {
  const work: unknown[] = [value];
  while (work.length > 0) {
    const node = work.pop();
    if (typeof node !== "object" || node === null) {
      if (typeof node === "function" || typeof node === "symbol" || typeof node === "bigint") fail(`decoded a ${typeof node}`);
      continue;
    }
    if (node instanceof Uint8Array) continue;
    if (node instanceof Date && dates) continue;
    const proto = Object.getPrototypeOf(node);
    if (!Array.isArray(node) && proto !== Object.prototype && proto !== null) fail(`decoded an instance of ${node.constructor?.name ?? "an unknown class"}`);
    work.push(...Object.values(node));
  }
  // a "__proto__" key must stay a key
  if (Object.keys(Object.prototype).length > 0) fail("Object.prototype was changed");
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);

const isAckId = (id: unknown): boolean => typeof id === "number" && Number.isInteger(id) && id >= 0 && id <= MAX_ACK_ID;

/** Checks `packet` against docs/PROTOCOL.md §2 and the decode limits; returns its outcome. */
export function checkPacket(packet: Packet, allowed: ReadonlySet<number>, dates = false): string {
  const limits = DEFAULT_DECODE_LIMITS;
  // an EVENT_WITH_ACK decodes to an EVENT with an id, an EVENT_ONCE to one with an id and `once`
  const wireType = packet.type === 4 && packet.id !== undefined ? (packet.once === true ? 9 : 5) : packet.type;
  if (packet.type === 4 && packet.once !== undefined && (packet.once !== true || packet.id === undefined)) fail("`once` on an event without an id");
  if (!allowed.has(wireType)) fail(`decoded packet type ${wireType}, which this side does not accept`);
  if (packet.type === 7) {
    if (Object.keys(packet).length !== 1) fail("a heartbeat with fields");
    return "packet 7";
  }
  if (typeof packet.nsp !== "string" || packet.nsp[0] !== "/" || packet.nsp.length > limits.maxNamespaceLength) fail(`namespace ${JSON.stringify(packet.nsp)}`);
  switch (packet.type) {
    case 0:
      if (packet.auth !== undefined && (!isPlainObject(packet.auth) || depthOf(packet.auth) > limits.maxDepth)) fail("connect auth is not an object within the depth limit");
      if (packet.resume !== undefined) {
        const { pid, position } = packet.resume;
        if (typeof pid !== "string" || typeof position !== "string" || pid.length > MAX_RESUME_FIELD_LENGTH || position.length > MAX_RESUME_FIELD_LENGTH) fail("resume fields over the limit");
      }
      break;
    case 1:
      if (!isPlainObject(packet.info) || typeof packet.info.sid !== "string") fail("connected without {sid}");
      break;
    case 2:
      if (typeof packet.message !== "string") fail("connect error without a message");
      break;
    case 3:
      break;
    case 4:
    case 8:
      if (!Array.isArray(packet.data) || typeof packet.data[0] !== "string") fail("event without a name");
      if (packet.type === 4 && packet.id !== undefined && !isAckId(packet.id)) fail(`ack id ${packet.id}`);
      if (packet.type === 8 && typeof packet.position !== "string") fail("event position is not a string");
      break;
    case 6:
      if (!Array.isArray(packet.data) || !isAckId(packet.id)) fail("ack without a valid id");
      break;
    default:
      fail(`unknown packet type ${(packet as { type: unknown }).type}`);
  }
  // the argument list is one level, each argument at most maxDepth more
  if ("data" in packet && packet.type !== 2 && depthOf(packet.data) > limits.maxDepth + 1) fail(`arguments nested ${depthOf(packet.data) - 1} levels deep`);
  checkPlainValues(packet, dates);
  return `packet ${wireType}`;
}
