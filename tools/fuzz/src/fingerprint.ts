/*
 * A canonical text of a decoded value, for comparing two decodings. Iterative, because decoded
 * values may be nested thousands deep (where a recursive deep-equal overflows the stack) and
 * explicit about what JSON loses: bytes, -0, NaN, ±Infinity, undefined, Dates. Keys are sorted.
 */

class Literal {
  constructor(readonly text: string) {}
}

/** With `json`, non-finite numbers read as null, as JSON.stringify writes them. */
export function fingerprint(value: unknown, json = false): string {
  const out: string[] = [];
  const work: unknown[] = [value];
  while (work.length > 0) {
    const item = work.pop();
    if (item instanceof Literal) out.push(item.text);
    else if (typeof item === "number") out.push(Object.is(item, -0) ? "0" : json && !Number.isFinite(item) ? "null" : String(item));
    else if (typeof item === "string") out.push(JSON.stringify(item));
    else if (item === undefined) out.push("undefined");
    else if (typeof item !== "object" || item === null) out.push(String(item));
    else if (item instanceof Uint8Array) out.push(`bytes(${Buffer.from(item.buffer, item.byteOffset, item.byteLength).toString("base64")})`);
    else if (item instanceof Date) out.push(`date(${item.getTime()})`);
    else if (Array.isArray(item)) {
      work.push(new Literal("]"));
      for (let i = item.length - 1; i >= 0; i--) work.push(item[i], new Literal(i > 0 ? "," : ""));
      work.push(new Literal("["));
    } else {
      // key order carries no meaning in either codec
      const keys = Object.keys(item).sort();
      work.push(new Literal("}"));
      for (let i = keys.length - 1; i >= 0; i--) work.push((item as Record<string, unknown>)[keys[i]], new Literal(`${i > 0 ? "," : ""}${JSON.stringify(keys[i])}:`));
      work.push(new Literal("{"));
    }
  }
  return out.join("");
}
