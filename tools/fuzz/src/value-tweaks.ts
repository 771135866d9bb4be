import fc from "fast-check";

/*
 * Structural mutations of a value before it is encoded: a field of the wrong type, a container
 * nested deeper, two fields swapped, a string far too long, an element added or dropped. The
 * result still encodes, so it reaches the checks behind the parser, which byte edits rarely do.
 *
 * A tweak names its node by number (pre-order, taken modulo the node count), so the same tweak
 * applies to any value and a shrunk value keeps its tweaks meaningful.
 */

/** A value put in place of another: every type a decoder may meet, and the edges of each. */
export type Leaf = string | number | boolean | null | undefined | Uint8Array | unknown[] | Record<string, unknown>;

export type ValueTweak =
  | { op: "replace"; at: number; with: Leaf }
  | { op: "nest"; at: number; depth: number; shape: "array" | "object" }
  | { op: "stretch"; at: number; length: number }
  | { op: "swap"; at: number; i: number; j: number }
  | { op: "remove"; at: number; i: number }
  | { op: "duplicate"; at: number; i: number }
  | { op: "insert"; at: number; i: number; value: Leaf }
  | { op: "key"; at: number; key: string; value: Leaf };

/** Leaves chosen for the checks they probe. `binary` adds values only a binary codec carries. */
export function leaf(binary: boolean): fc.Arbitrary<Leaf> {
  const edges: Leaf[] = [0, -1, 1.5, 2 ** 32, 2 ** 32 - 1, 2 ** 53, -(2 ** 31), 1e300, "", "/", "//", "0", true, false, null, [], {}];
  if (binary) edges.push(NaN, Infinity, -Infinity, -0, undefined);
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...edges) },
    fc.integer(),
    fc.double({ noNaN: !binary, noDefaultInfinity: !binary }),
    fc.string({ maxLength: 12 }),
    fc.uint8Array({ maxLength: 12 }),
    fc.record({ _placeholder: fc.constant(true), num: fc.integer({ min: -1, max: 4 }) }),
    fc.string({ maxLength: 8 }).map((text) => ({ $bin: text })),
  );
}

/* Keys that mean something to some decoder, or to JavaScript itself. */
const KEYS = ["__proto__", "constructor", "toString", "toJSON", "$bin", "_placeholder", "num", "pid", "offset", "position", "sid", "token"];

export function valueTweak(binary: boolean): fc.Arbitrary<ValueTweak> {
  const at = fc.nat({ max: 1000 });
  const index = fc.nat({ max: 16 });
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ op: fc.constant("replace" as const), at, with: leaf(binary) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant("nest" as const),
        at,
        // around the decoders' depth limit (32), and far beyond it
        depth: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 28, max: 36 }), fc.integer({ min: 100, max: 3000 })),
        shape: fc.constantFrom("array" as const, "object" as const),
      }),
    },
    // past the namespace (256) and resume field (128) limits, up to a sizeable frame
    { weight: 1, arbitrary: fc.record({ op: fc.constant("stretch" as const), at, length: fc.oneof(fc.constantFrom(127, 128, 129, 255, 256, 257), fc.integer({ min: 1, max: 20_000 })) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("swap" as const), at, i: index, j: index }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("remove" as const), at, i: index }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("duplicate" as const), at, i: index }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("insert" as const), at, i: index, value: leaf(binary) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("key" as const), at, key: fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 6 })), value: leaf(binary) }) },
  );
}

/** A copy of `value` with the tweaks applied in order; `value` itself is not changed. */
export function applyTweaks(value: unknown, tweaks: readonly ValueTweak[]): unknown {
  let root = clone(value);
  for (const tweak of tweaks) root = applyTweak(root, tweak);
  return root;
}

type Slot = { node: unknown; set: (value: unknown) => void };

/* Nodes are counted up to this many: enough for any generated packet, bounded for nested ones. */
const MAX_NODES = 2000;

function slots(root: unknown, setRoot: (value: unknown) => void): Slot[] {
  const found: Slot[] = [{ node: root, set: setRoot }];
  for (let k = 0; k < found.length && found.length < MAX_NODES; k++) {
    const node = found[k].node;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) found.push({ node: node[i], set: (value) => (node[i] = value) });
    } else if (isRecord(node)) {
      for (const key of Object.keys(node)) found.push({ node: node[key], set: (value) => define(node, key, value) });
    }
  }
  return found;
}

function applyTweak(root: unknown, tweak: ValueTweak): unknown {
  let result = root;
  const all = slots(root, (value) => (result = value));
  if (tweak.op === "replace" || tweak.op === "nest" || tweak.op === "stretch") {
    const slot = all[tweak.at % all.length];
    slot.set(reshape(slot.node, tweak));
    return result;
  }
  const containers = all.filter((slot) => Array.isArray(slot.node) || (tweak.op === "key" && isRecord(slot.node)));
  if (containers.length === 0) return result;
  const node = containers[tweak.at % containers.length].node;
  if (tweak.op === "key") {
    if (isRecord(node)) define(node, tweak.key, clone(tweak.value));
    return result;
  }
  const array = node as unknown[];
  const n = array.length;
  switch (tweak.op) {
    case "swap":
      if (n > 1) [array[tweak.i % n], array[tweak.j % n]] = [array[tweak.j % n], array[tweak.i % n]];
      break;
    case "remove":
      if (n > 0) array.splice(tweak.i % n, 1);
      break;
    case "duplicate":
      if (n > 0) array.splice(tweak.i % n, 0, clone(array[tweak.i % n]));
      break;
    case "insert":
      array.splice(tweak.i % (n + 1), 0, clone(tweak.value));
      break;
  }
  return result;
}

function reshape(node: unknown, tweak: Extract<ValueTweak, { op: "replace" | "nest" | "stretch" }>): unknown {
  if (tweak.op === "replace") return clone(tweak.with);
  if (tweak.op === "stretch") {
    const seed = typeof node === "string" && node.length > 0 ? node : "x";
    return seed.repeat(Math.ceil(tweak.length / seed.length)).slice(0, tweak.length);
  }
  let value = node;
  for (let i = 0; i < tweak.depth; i++) value = tweak.shape === "array" ? [value] : { k: value };
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Deep copy of arrays, plain objects (own keys, "__proto__" included) and bytes. Iterative: values may be nested thousands deep. */
export function clone(value: unknown): unknown {
  const copyOf = (node: unknown): unknown => {
    if (node instanceof Uint8Array) return node.slice();
    if (Array.isArray(node)) return new Array(node.length);
    if (isRecord(node)) return {};
    return node;
  };
  const top = copyOf(value);
  const work: [unknown, unknown][] = [[value, top]];
  while (work.length > 0) {
    const [from, to] = work.pop() as [unknown, unknown];
    if (Array.isArray(from)) {
      const target = to as unknown[];
      for (let i = 0; i < from.length; i++) {
        target[i] = copyOf(from[i]);
        work.push([from[i], target[i]]);
      }
    } else if (isRecord(from) && !(from instanceof Uint8Array)) {
      for (const key of Object.keys(from)) {
        const child = copyOf(from[key]);
        define(to as Record<string, unknown>, key, child);
        work.push([from[key], child]);
      }
    }
  }
  return top;
}
