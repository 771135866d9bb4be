/*
 * Cases are kept in regression files as JSON, but hold what JSON cannot: bytes, NaN, ±Infinity,
 * -0 and undefined (all of which a msgpack peer can send). Such values become one-key objects
 * under a key no generator produces, and come back as themselves.
 */
const TAG = "\u0000fuzz";

type Tagged = { [TAG]: "bytes" | "number" | "undefined"; value?: string };

function tag(kind: Tagged[typeof TAG], value?: string): Tagged {
  return value === undefined ? { [TAG]: kind } : { [TAG]: kind, value };
}

/** Sets `key` as an own property, so that "__proto__" stays a key instead of a prototype. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A JSON-safe copy of a case. */
export function caseToJson(value: unknown): unknown {
  if (value === undefined) return tag("undefined");
  if (typeof value === "number") {
    if (Number.isFinite(value) && !Object.is(value, -0)) return value;
    return tag("number", Object.is(value, -0) ? "-0" : String(value));
  }
  if (value instanceof Uint8Array) return tag("bytes", Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64"));
  if (Array.isArray(value)) return value.map(caseToJson);
  if (typeof value === "object" && value !== null) {
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) define(copy, key, caseToJson((value as Record<string, unknown>)[key]));
    return copy;
  }
  return value;
}

/** The case a `caseToJson` copy stands for. */
export function caseFromJson(json: unknown): unknown {
  if (Array.isArray(json)) return json.map(caseFromJson);
  if (typeof json !== "object" || json === null) return json;
  const record = json as Record<string, unknown>;
  const kind = record[TAG];
  if (kind === "undefined") return undefined;
  if (kind === "number") return record.value === "-0" ? -0 : Number(record.value);
  if (kind === "bytes") return new Uint8Array(Buffer.from(String(record.value), "base64"));
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(record)) define(copy, key, caseFromJson(record[key]));
  return copy;
}
