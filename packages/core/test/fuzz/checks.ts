import { DEFAULT_DECODE_LIMITS, MAX_ACK_ID, type Packet, ProtocolError } from "@roomcast/protocol";

/*
 * Properties the Socket.IO dialect's decoders and the live server must keep: errors come with the
 * code and close code docs/ERRORS.md pairs them with, and a decoded packet is a roomcast packet
 * a client may send, with every attachment placeholder resolved.
 */

/** docs/ERRORS.md: the close code (or, over long-polling, the session end) of each decoding error. */
export const DOCUMENTED_CLOSE: Readonly<Record<string, number>> = {
  ERR_INVALID_PACKET: 1002,
  ERR_INVALID_PAYLOAD: 1007,
  ERR_UNSUPPORTED_DATA: 1003,
  ERR_TOO_MANY_PACKETS: 4004,
  ERR_TOO_MANY_ATTACHMENTS: 4004,
};

export function fail(why: string): never {
  throw new Error(why);
}

/** Validates a thrown error; returns it as a documented ProtocolError. */
export function documented(err: unknown): ProtocolError {
  if (!(err instanceof ProtocolError)) fail(`threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)} instead of a ProtocolError`);
  const close = DOCUMENTED_CLOSE[err.code];
  if (close === undefined) fail(`ProtocolError with code ${err.code}, not a decoding error of docs/ERRORS.md`);
  if (err.closeCode !== close) fail(`${err.code} with close code ${err.closeCode}; docs/ERRORS.md pairs it with ${close}`);
  return err;
}

export function errorOutcome(err: unknown): string {
  const error = documented(err);
  return `${error.code} ${error.closeCode}`;
}

function isPlaceholder(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as { _placeholder?: unknown })._placeholder === true;
}

/** Levels of arrays and objects, and whether a placeholder object is among them. Iterative. */
function shape(value: unknown): { depth: number; placeholder: boolean } {
  let depth = 0;
  let placeholder = false;
  const work: [unknown, number][] = [[value, 0]];
  while (work.length > 0) {
    const [node, above] = work.pop() as [unknown, number];
    if (typeof node !== "object" || node === null || ArrayBuffer.isView(node)) continue;
    if (isPlaceholder(node)) placeholder = true;
    depth = Math.max(depth, above + 1);
    for (const child of Object.values(node)) work.push([child, above + 1]);
  }
  return { depth, placeholder };
}

/** True when `value` holds an object Socket.IO would read as a placeholder. */
export function holdsPlaceholder(value: unknown): boolean {
  return shape(value).placeholder;
}

/**
 * A packet the Socket.IO decoder may return: what a client sends, within the limits. `binary`
 * when it came from BINARY_EVENT / BINARY_ACK: then no placeholder may be left (in a plain
 * EVENT, `{"_placeholder": true}` is data, as in the reference implementation).
 */
export function checkClientPacket(packet: Packet, binary = false): string {
  const limits = DEFAULT_DECODE_LIMITS;
  if (![0, 3, 4, 6].includes(packet.type)) fail(`decoded packet type ${packet.type} from a client`);
  const nsp = (packet as { nsp?: unknown }).nsp;
  if (typeof nsp !== "string" || nsp[0] !== "/" || nsp.length > limits.maxNamespaceLength) fail(`namespace ${JSON.stringify(nsp)}`);
  if (packet.type === 4 || packet.type === 6) {
    if (!Array.isArray(packet.data)) fail("data is not an array");
    if (packet.type === 4 && typeof packet.data[0] !== "string") fail("event without a name");
    const id = packet.id;
    if (id !== undefined && !(Number.isInteger(id) && id >= 0 && id <= MAX_ACK_ID)) fail(`ack id ${id}`);
    const { depth, placeholder } = shape(packet.data);
    if (depth > limits.maxDepth + 1) fail(`arguments nested ${depth - 1} levels deep`);
    if (placeholder && binary) fail("an attachment placeholder survived decoding");
  }
  if (packet.type === 0 && packet.auth !== undefined && shape(packet.auth).depth > limits.maxDepth) fail("auth nested too deeply");
  return `packet ${packet.type === 4 && packet.id !== undefined ? 5 : packet.type}`;
}
