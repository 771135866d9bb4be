import fc from "fast-check";

/*
 * Edits of an encoded frame: the byte- and character-level mutations a classic fuzzer applies,
 * kept as data so that a case stays readable in a regression file and shrinks edit by edit.
 * Positions are taken modulo the length at the time of the edit, so an edit never misses.
 */

export type ByteEdit =
  | { op: "flip"; at: number; bit: number }
  | { op: "set"; at: number; byte: number }
  | { op: "insert"; at: number; bytes: number[] }
  | { op: "delete"; at: number; length: number }
  | { op: "truncate"; at: number }
  | { op: "repeat"; at: number; length: number; times: number };

export type TextEdit =
  | { op: "insert"; at: number; text: string }
  | { op: "replace"; at: number; length: number; text: string }
  | { op: "delete"; at: number; length: number }
  | { op: "truncate"; at: number }
  | { op: "repeat"; at: number; length: number; times: number };

/* Bytes that sit on the boundaries decoders branch on: type codes, sign bits, UTF-8 lead bytes. */
const EDGE_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xed, 0xf4, 0xf8, 0xfe, 0xff];
/* A repeated slice grows a frame; this keeps a case within the servers' message limits. */
const MAX_REPEAT = 300;

const position = fc.nat({ max: 1 << 20 });
const span = fc.integer({ min: 1, max: 64 });

/** Byte edits; `tokens` are byte sequences of the format (a msgpack header, a separator…). */
export function byteEdit(tokens: readonly Uint8Array[] = []): fc.Arbitrary<ByteEdit> {
  const inserted = tokens.length === 0
    ? fc.uint8Array({ minLength: 1, maxLength: 8 })
    : fc.oneof(fc.constantFrom(...tokens), fc.uint8Array({ minLength: 1, maxLength: 8 }));
  return fc.oneof(
    fc.record({ op: fc.constant("flip" as const), at: position, bit: fc.nat({ max: 7 }) }),
    fc.record({ op: fc.constant("set" as const), at: position, byte: fc.oneof(fc.constantFrom(...EDGE_BYTES), fc.nat({ max: 255 })) }),
    fc.record({ op: fc.constant("insert" as const), at: position, bytes: inserted.map((bytes) => [...bytes]) }),
    fc.record({ op: fc.constant("delete" as const), at: position, length: span }),
    fc.record({ op: fc.constant("truncate" as const), at: position }),
    fc.record({ op: fc.constant("repeat" as const), at: position, length: span, times: fc.integer({ min: 1, max: MAX_REPEAT }) }),
  );
}

/** Text edits; `tokens` are strings of the format (brackets, separators, escapes…). */
export function textEdit(tokens: readonly string[] = []): fc.Arbitrary<TextEdit> {
  const text = tokens.length === 0
    ? fc.string({ minLength: 1, maxLength: 8, unit: "binary" })
    : fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...tokens) }, { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 8, unit: "binary" }) });
  return fc.oneof(
    fc.record({ op: fc.constant("insert" as const), at: position, text }),
    fc.record({ op: fc.constant("replace" as const), at: position, length: span, text }),
    fc.record({ op: fc.constant("delete" as const), at: position, length: span }),
    fc.record({ op: fc.constant("truncate" as const), at: position }),
    fc.record({ op: fc.constant("repeat" as const), at: position, length: span, times: fc.integer({ min: 1, max: MAX_REPEAT }) }),
  );
}

/**
 * Often none, else a few: many frames must stay close enough to valid to reach deep code. `odds`
 * is the chance of any edit at all; a case of several frames wants it lower than a single frame.
 */
export function editList<E>(edit: fc.Arbitrary<E>, max = 4, odds = 0.4): fc.Arbitrary<E[]> {
  const some = Math.min(99, Math.max(1, Math.round(odds * 100)));
  return fc.oneof({ weight: 100 - some, arbitrary: fc.constant<E[]>([]) }, { weight: some, arbitrary: fc.array(edit, { minLength: 1, maxLength: max }) });
}

export function applyByteEdits(input: Uint8Array, edits: readonly ByteEdit[]): Uint8Array {
  let bytes = input;
  for (const edit of edits) {
    const at = edit.at % (bytes.length + 1);
    switch (edit.op) {
      case "flip":
      case "set": {
        if (bytes.length === 0) break;
        const copy = bytes.slice();
        const i = at % bytes.length;
        copy[i] = edit.op === "flip" ? copy[i] ^ (1 << edit.bit) : edit.byte;
        bytes = copy;
        break;
      }
      case "insert":
        bytes = concat(bytes.subarray(0, at), Uint8Array.from(edit.bytes), bytes.subarray(at));
        break;
      case "delete":
        bytes = concat(bytes.subarray(0, at), bytes.subarray(at + edit.length));
        break;
      case "truncate":
        bytes = bytes.slice(0, at);
        break;
      case "repeat": {
        const slice = bytes.subarray(at, at + edit.length);
        bytes = concat(bytes.subarray(0, at), ...Array.from({ length: edit.times + 1 }, () => slice), bytes.subarray(at + slice.length));
        break;
      }
    }
  }
  return bytes;
}

export function applyTextEdits(input: string, edits: readonly TextEdit[]): string {
  let text = input;
  for (const edit of edits) {
    const at = edit.at % (text.length + 1);
    switch (edit.op) {
      case "insert":
        text = text.slice(0, at) + edit.text + text.slice(at);
        break;
      case "replace":
        text = text.slice(0, at) + edit.text + text.slice(at + edit.length);
        break;
      case "delete":
        text = text.slice(0, at) + text.slice(at + edit.length);
        break;
      case "truncate":
        text = text.slice(0, at);
        break;
      case "repeat": {
        const slice = text.slice(at, at + edit.length);
        text = text.slice(0, at) + slice.repeat(edit.times + 1) + text.slice(at + slice.length);
        break;
      }
    }
  }
  return text;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
