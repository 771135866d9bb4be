import fc from "fast-check";
import { unpack } from "msgpackr";
import { describe, expect, it } from "vitest";
import {
  applyByteEdits,
  applyTextEdits,
  applyTweaks,
  caseFromJson,
  caseToJson,
  clientWire,
  encodeJson,
  encodeMsgpack,
  encodeSocketIo,
  engineMessages,
  fingerprint,
  HUNG,
  pollingBody,
  withinTime,
} from "../src/index.js";

describe("edits", () => {
  it("apply at positions taken modulo the length, so none misses", () => {
    expect(applyTextEdits("abc", [{ op: "insert", at: 5, text: "X" }])).toBe("aXbc");
    expect(applyTextEdits("abcdef", [{ op: "delete", at: 1, length: 2 }])).toBe("adef");
    expect(applyTextEdits("abcdef", [{ op: "repeat", at: 0, length: 2, times: 2 }])).toBe("abababcdef");
    expect([...applyByteEdits(Uint8Array.from([1, 2, 3]), [{ op: "flip", at: 0, bit: 7 }])]).toEqual([0x81, 2, 3]);
    expect([...applyByteEdits(Uint8Array.from([1, 2, 3]), [{ op: "truncate", at: 2 }])]).toEqual([1, 2]);
  });

  it("leave the input unchanged", () => {
    const bytes = Uint8Array.from([1, 2, 3]);
    applyByteEdits(bytes, [{ op: "set", at: 1, byte: 9 }]);
    expect([...bytes]).toEqual([1, 2, 3]);
  });
});

describe("value tweaks", () => {
  it("nest, stretch and retype nodes of a copy", () => {
    const wire = [4, "/", "ev", { a: 1 }];
    expect(applyTweaks(wire, [{ op: "nest", at: 4, depth: 2, shape: "array" }])).toEqual([4, "/", "ev", [[{ a: 1 }]]]);
    expect(applyTweaks(wire, [{ op: "stretch", at: 2, length: 5 }])).toEqual([4, "/////", "ev", { a: 1 }]);
    expect(applyTweaks(wire, [{ op: "replace", at: 1, with: null }])).toEqual([null, "/", "ev", { a: 1 }]);
    expect(wire).toEqual([4, "/", "ev", { a: 1 }]);
  });

  it("add a __proto__ key as a key, never as a prototype", () => {
    const tweaked = applyTweaks([{}], [{ op: "key", at: 1, key: "__proto__", value: 1 }]) as [Record<string, unknown>];
    expect(Object.keys(tweaked[0])).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(tweaked[0])).toBe(Object.prototype);
  });
});

describe("case JSON", () => {
  it("keeps what JSON cannot hold: bytes, NaN, -0, undefined", () => {
    const value = [Uint8Array.from([1, 2]), NaN, -0, Infinity, undefined, { k: [undefined] }];
    const back = caseFromJson(JSON.parse(JSON.stringify(caseToJson(value)))) as unknown[];
    expect(back[0]).toEqual(Uint8Array.from([1, 2]));
    expect(Object.is(back[2], -0)).toBe(true);
    expect(back.slice(1)).toEqual([NaN, -0, Infinity, undefined, { k: [undefined] }]);
  });
});

describe("formats", () => {
  it("encode generated roomcast packets as the spec says: $bin in JSON, bin in msgpack", () => {
    fc.assert(
      fc.property(clientWire(), (wire) => {
        const text = encodeJson(wire) as string;
        expect(JSON.parse(text)[0]).toBe(wire[0]);
        expect((unpack(encodeMsgpack(wire) as Uint8Array) as unknown[])[0]).toBe(wire[0]);
      }),
      { numRuns: 200 },
    );
    expect(encodeJson([4, "/", "up", Uint8Array.from([1, 2, 3])])).toBe('[4,"/","up",{"$bin":"AQID"}]');
  });

  it("split Socket.IO binary packets into placeholders and attachments", () => {
    const encoded = encodeSocketIo({ type: 2, nsp: "/admin", id: 7, data: ["up", Uint8Array.from([1])] });
    expect(encoded?.text).toBe('51-/admin,7["up",{"_placeholder":true,"num":0}]');
    expect(encoded?.attachments).toEqual([Uint8Array.from([1])]);
    const messages = engineMessages([{ kind: "packet", packet: { type: 2, nsp: "/", data: ["up", Uint8Array.from([1, 2])] }, tweaks: [], edits: [], attachmentEdits: [] }]);
    expect(pollingBody(messages)).toBe('451-["up",{"_placeholder":true,"num":0}]\x1ebAQI=');
  });
});

describe("hang guard", () => {
  it("stops a synchronous function that never returns", () => {
    expect(
      withinTime(() => {
        for (;;);
      }, 50),
    ).toBe(HUNG);
    expect(withinTime(() => 42, 50)).toBe(42);
  });
});

describe("fingerprint", () => {
  it("tells values apart as the codecs do, at any depth", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(fingerprint(deep).length).toBe(200_001);
    expect(fingerprint({ b: 1, a: [Uint8Array.from([1])] })).toBe(fingerprint({ a: [Buffer.from([1])], b: 1 }));
    expect(fingerprint([-0, NaN])).toBe("[0,NaN]");
    expect(fingerprint([Infinity], true)).toBe("[null]");
    expect(fingerprint(["1"])).not.toBe(fingerprint([1]));
  });
});
