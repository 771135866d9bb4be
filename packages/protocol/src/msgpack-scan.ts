import { ProtocolError } from "./errors.js";

/*
 * msgpackr decodes containers by recursion, and gives its own extension types (Set, Error,
 * RegExp, records, structured clones, bundled strings) meanings that read further values. An
 * untrusted frame could therefore nest deep enough to overflow the stack, or decode to values no
 * other msgpack library writes. This walk reads a frame's item headers without building anything,
 * iteratively, before msgpackr sees the frame: msgpackr then only ever decodes frames whose
 * nesting is bounded and that hold plain MessagePack.
 *
 * Cost: one pass over the item headers. Numbers, nil and booleans cost one table lookup;
 * string, binary and extension bodies are skipped by their length, never read; nothing is
 * allocated (the open containers' counts live in one reused array). Measured against msgpackr's
 * unpack of the same frame: about a tenth for a chat event or a list of objects, a quarter for an
 * array of numbers (where unpack itself builds little), a few steps for one large binary value.
 * It runs on every frame because 0xc1 and extension types can hide anywhere in one, short frames
 * included, and a frame shorter than the bound can still hold them.
 */

/* The extension types a peer may send: -1, the timestamp MessagePack defines, and 0, which
   msgpackr (roomcast's encoder) and notepack write for `undefined`. */
const TIMESTAMP_EXT = 0xff;
const UNDEFINED_EXT = 0x00;

/* Bytes that follow each type code whose size the code alone fixes (fixints, nil, booleans,
   numbers), -1 for the codes the walk reads further: the commonest items cost one lookup. */
const SCALAR_BYTES = /* @__PURE__ */ scalarBytes();

function scalarBytes(): Int8Array {
  const table = new Int8Array(256).fill(-1);
  table.fill(0, 0x00, 0x80); // positive fixint
  table.fill(0, 0xe0, 0x100); // negative fixint
  table[0xc0] = table[0xc2] = table[0xc3] = 0; // nil, false, true
  table[0xcc] = table[0xd0] = 1; // uint 8, int 8
  table[0xcd] = table[0xd1] = 2; // uint 16, int 16
  table[0xca] = table[0xce] = table[0xd2] = 4; // float 32, uint 32, int 32
  table[0xcb] = table[0xcf] = table[0xd3] = 8; // float 64, uint 64, int 64
  return table;
}

/* Items still to read in each open container, outermost first. Shared: the walk never re-enters. */
const open: number[] = [];

// Literal codes, as in json-frame.ts: client bundles leave the code tables out.
function invalidPayload(why: string): never {
  throw new ProtocolError(`frame is not valid msgpack: ${why}`, "ERR_INVALID_PAYLOAD", 1007);
}

/** A big-endian unsigned length of `size` bytes at `pos`. */
function lengthAt(bytes: Uint8Array, pos: number, size: number): number {
  if (pos + size > bytes.length) invalidPayload("truncated");
  if (size === 1) return bytes[pos];
  if (size === 2) return (bytes[pos] << 8) | bytes[pos + 1];
  return bytes[pos] * 0x1000000 + ((bytes[pos + 1] << 16) | (bytes[pos + 2] << 8) | bytes[pos + 3]);
}

function checkExtensionType(type: number | undefined): void {
  if (type !== TIMESTAMP_EXT && type !== UNDEFINED_EXT) invalidPayload(`extension type ${type ?? "missing"} is not accepted`);
}

/**
 * Checks that `bytes` hold exactly one MessagePack value whose arrays and maps nest at most
 * `maxNesting` levels (the outermost container is level 1; an empty one counts too).
 *
 * @throws ProtocolError `ERR_INVALID_PACKET` (close 1002) for deeper nesting;
 *   `ERR_INVALID_PAYLOAD` (close 1007) for the never-used type code 0xc1, an extension type other
 *   than timestamp (-1) and undefined (0), a truncated value, or bytes after the value.
 */
export function scanMsgpackFrame(bytes: Uint8Array, maxNesting: number): void {
  const end = bytes.length;
  let pos = 0;
  let depth = 0; // containers open around the next item
  let left = 1; // items still to read at this depth: the frame is one item
  for (;;) {
    if (left === 0) {
      if (depth === 0) break;
      left = open[--depth];
      continue;
    }
    left--;
    if (pos >= end) invalidPayload("truncated");
    const token = bytes[pos++];
    const scalar = SCALAR_BYTES[token];
    if (scalar >= 0) {
      pos += scalar; // past the end only if truncated, which the next read or the final check reports
      continue;
    }
    let items = -1; // a container's items (a map's keys and values)
    let skip = 0; // bytes of a string, binary or extension body
    if (token <= 0x8f) items = (token & 0x0f) * 2;
    else if (token <= 0x9f) items = token & 0x0f;
    else if (token <= 0xbf) skip = token & 0x1f;
    else {
      switch (token) {
        case 0xc1:
          return invalidPayload("0xc1 is never used");
        case 0xc4: // bin 8
        case 0xd9: // str 8
          skip = lengthAt(bytes, pos, 1) + 1;
          break;
        case 0xc5: // bin 16
        case 0xda: // str 16
          skip = lengthAt(bytes, pos, 2) + 2;
          break;
        case 0xc6: // bin 32
        case 0xdb: // str 32
          skip = lengthAt(bytes, pos, 4) + 4;
          break;
        case 0xc7: // ext 8: length, type, body
          skip = lengthAt(bytes, pos, 1) + 2;
          checkExtensionType(bytes[pos + 1]);
          break;
        case 0xc8: // ext 16
          skip = lengthAt(bytes, pos, 2) + 3;
          checkExtensionType(bytes[pos + 2]);
          break;
        case 0xc9: // ext 32
          skip = lengthAt(bytes, pos, 4) + 5;
          checkExtensionType(bytes[pos + 4]);
          break;
        case 0xd4: // fixext 1, 2, 4, 8, 16: type, then the body
        case 0xd5:
        case 0xd6:
        case 0xd7:
        case 0xd8:
          checkExtensionType(bytes[pos]);
          skip = 1 + (1 << (token - 0xd4));
          break;
        case 0xdc: // array 16
          items = lengthAt(bytes, pos, 2);
          pos += 2;
          break;
        case 0xdd: // array 32
          items = lengthAt(bytes, pos, 4);
          pos += 4;
          break;
        case 0xde: // map 16
          items = lengthAt(bytes, pos, 2) * 2;
          pos += 2;
          break;
        default: // 0xdf, map 32
          items = lengthAt(bytes, pos, 4) * 2;
          pos += 4;
      }
    }
    if (items >= 0) {
      if (depth >= maxNesting) throw new ProtocolError("payload nested too deeply");
      // every item takes at least one byte: a longer count is a lie, refused before msgpackr allocates for it
      if (items > end - pos) invalidPayload("truncated");
      if (items > 0) {
        open[depth++] = left;
        left = items;
      }
    } else {
      if (skip > end - pos) invalidPayload("truncated");
      pos += skip;
    }
  }
  if (pos > end) invalidPayload("truncated");
  if (pos < end) invalidPayload("bytes after the packet");
}
