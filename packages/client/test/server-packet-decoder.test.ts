import { describe, expect, it } from "vitest";
import { decodeServerPacket, FROM_SERVER, fromWire, jsonCodec, type Packet, ProtocolError } from "@roomcast/protocol";
import { clientJsonCodec } from "../src/json-codec.js";

/** The full validator's verdict: the packet, or the close code it closes with. */
function verdict(decode: () => Packet): Packet | number {
  try {
    return decode();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return (err as ProtocolError).closeCode!;
  }
}

const nested = (depth: number): unknown => {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { k: value };
  return value;
};

const cases: unknown[] = [
  null, 1, "x", {}, [], [null], ["7"], [7], [7, "/"], [0, "/"], [0, "/", { token: 1 }], [9, "/"], [-1, "/"],
  [1, "/", { sid: "a", pingInterval: 1, pingTimeout: 2 }], [1, "/", { sid: 1 }], [1, "/", ["sid"]], [1, "/"], [1, "x", { sid: "a" }],
  [1, "/", new Uint8Array(2)], [2, "/", "nope"], [2, "/", "nope", { code: "E" }], [2, "/", 1], [2, "/"],
  [3, "/"], [3, "/", 1], [3, ""], [3, "/".repeat(300)], [3, 3],
  [4, "/", "ev"], [4, "/", "ev", 1, { a: [2] }], [4, "/"], [4, "/", 1], ["4", "/", "ev"], [4.5, "/", "ev"],
  [4, "/", "ev", nested(32)], [4, "/", "ev", nested(33)], [4, "/", "ev", nested(500)],
  [5, "/", 3, "ev", "x"], [5, "/", -1, "ev"], [5, "/", 1.5, "ev"], [5, "/", 2 ** 32, "ev"], [5, "/", 2 ** 32 - 1, "ev"], [5, "/", "1", "ev"], [5, "/", 1, 2],
  ["5", "/", 1, "ev"], [6, "/", 0], [6, "/", 0, "ok", 2], [6, "/", "0"], [6, "/", 0, nested(33)], [6, "/", 0, nested(32)],
  [8, "/", "e:1", "ev", 1], [8, "/", 1, "ev"], [8, "/", "e:1"], [8, "/", "e:1", 2], [8, "/", "e:1", "ev", nested(40)],
];

/* a small deterministic generator of packet-shaped arrays, to reach past the first checks */
function* randomWires(count: number, extra: unknown[] = [], seed = 42): Generator<unknown[]> {
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const pick = <T>(values: T[]): T => values[Math.floor(next() * values.length)];
  const values = [undefined, null, 0, -1, 1, 1.5, 2 ** 32, "", "/", "/a", "ev", "e:1", {}, { sid: "s" }, [], [1], true, nested(3), ...extra];
  for (let i = 0; i < count; i++) {
    const wire: unknown[] = [pick([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, "4", null])];
    const length = Math.floor(next() * 6);
    for (let j = 0; j < length; j++) wire.push(j === 0 && next() < 0.7 ? pick(["/", "/chat", "", "x"]) : pick(values));
    yield wire;
  }
}

describe("decodeServerPacket", () => {
  it("accepts and returns what fromWire(FROM_SERVER) does, and rejects the rest with 1002", () => {
    for (const wire of [...cases, ...randomWires(5000)]) {
      const full = verdict(() => fromWire(wire, FROM_SERVER));
      const compact = verdict(() => decodeServerPacket(wire));
      expect(compact, JSON.stringify(wire)).toEqual(full);
    }
  });

  it("decodes JSON text as the full codec does, `$bin` values and the depth limit included", () => {
    const bin = { $bin: "AQI=" };
    const deepBin = (depth: number) => {
      let value: unknown = bin;
      for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { k: value };
      return value;
    };
    const extra = [bin, { $bin: "AQI=", k: 1 }, { $bin: 1 }, { sid: "s", b: bin }, [bin], deepBin(31), deepBin(32), deepBin(33)];
    // every packet type a server sends, carrying each of them, then random packet-shaped arrays
    const carrying = extra.flatMap((x) => [[4, "/", "ev", x], [5, "/", 3, "ev", x], [6, "/", 0, x], [8, "/", "e:1", "ev", x], [1, "/", { sid: "s", x }], [2, "/", "no", x]]);
    const texts = [...cases, ...carrying, ...randomWires(4000, extra, 7)].flatMap((wire) => JSON.stringify(wire) ?? []);
    texts.push('[4,"/","ev",{ "$bin": "AQI=" }]', '[1,"/",{"sid":"a","deep":' + JSON.stringify(nested(40)) + "}]", '[1,"/",{"sid":"a","deep":' + JSON.stringify(nested(40)) + ',"b":{"$bin":"AQI="}}]');
    let revived = 0;
    for (const text of texts) {
      const full = verdict(() => jsonCodec.decode(text, FROM_SERVER));
      expect(verdict(() => clientJsonCodec.decode(text, FROM_SERVER)), text).toEqual(full);
      if (typeof full === "object" && text.includes('{"$bin":')) revived++;
    }
    // the cases reach past the first checks with binary values in them
    expect(revived).toBeGreaterThan(40);
  });

  it("is the client's JSON decode path: bad JSON 1007, binary frames 1003, binary values restored", () => {
    expect(verdict(() => clientJsonCodec.decode("[4,", FROM_SERVER))).toBe(1007);
    expect(verdict(() => clientJsonCodec.decode(new Uint8Array([1]), FROM_SERVER))).toBe(1003);
    const packet = clientJsonCodec.decode('[4,"/","ev",{"$bin":"AQI="}]', FROM_SERVER) as { data: unknown[] };
    expect(packet.data[1]).toBeInstanceOf(Uint8Array);
    expect([...(packet.data[1] as Uint8Array)]).toEqual([1, 2]);
  });

  it("leaves the caller's array as it was unless told it owns it, and then takes the arguments from it", () => {
    for (const wire of [[4, "/", "ev", 1], [5, "/", 3, "ev", 1], [6, "/", 0, "ok"], [8, "/", "e:1", "ev", 1]]) {
      const copy = [...wire];
      const lent = decodeServerPacket(wire) as { data: unknown[] };
      expect(wire).toEqual(copy);
      expect(lent.data).not.toBe(wire);
      const owned = decodeServerPacket(wire, undefined, false, true) as { data: unknown[] };
      expect(owned.data).toBe(wire);
      expect(owned).toEqual(lent);
    }
  });
});
