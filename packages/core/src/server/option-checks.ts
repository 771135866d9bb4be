/**
 * Checks of single option values. Each check throws a TypeError that names the option (with its
 * path, e.g. `cors.maxAge`) and the expected type, so a typo fails when the server is built
 * instead of being silently ignored under load.
 */

/** Checks the value of option `name`; throws a TypeError when it does not fit. */
export type OptionCheck = (value: unknown, name: string) => void;

/* setTimeout fires at once for larger delays (Node clamps them to 1 ms): such a value is a mistake */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A short rendering of a value for error messages. */
function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return "an array";
  if (value instanceof RegExp) return String(value);
  if (value === null) return "null";
  if (typeof value === "object") return "an object";
  return String(value);
}

/** `option "name" must be <expected>; got <value>` */
export function optionTypeError(name: string, expected: string, value: unknown): TypeError {
  return new TypeError(`option "${name}" must be ${expected}; got ${describeValue(value)}`);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Milliseconds: a finite number from `min` to MAX_TIMER_MS. */
export function durationMs(min: number): OptionCheck {
  return (value, name) => {
    if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > MAX_TIMER_MS) {
      throw optionTypeError(name, `a number of milliseconds from ${min} to ${MAX_TIMER_MS}`, value);
    }
  };
}

/** An integer of at least `min` (`unit` names what is counted, e.g. "bytes"). */
export function integer(min: number, unit: string): OptionCheck {
  return (value, name) => {
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
      throw optionTypeError(name, `an integer number of ${unit} >= ${min}`, value);
    }
  };
}

export const boolean: OptionCheck = (value, name) => {
  if (typeof value !== "boolean") throw optionTypeError(name, "a boolean", value);
};

export const func: OptionCheck = (value, name) => {
  if (typeof value !== "function") throw optionTypeError(name, "a function", value);
};

/** One of the given strings. */
export function oneOf(...allowed: string[]): OptionCheck {
  return (value, name) => {
    if (typeof value !== "string" || !allowed.includes(value)) {
      throw optionTypeError(name, `one of ${allowed.map((entry) => JSON.stringify(entry)).join(", ")}`, value);
    }
  };
}

/** A string starting with "/" (a request path). */
export const urlPath: OptionCheck = (value, name) => {
  if (typeof value !== "string" || !value.startsWith("/") || /[?#\s]/.test(value)) {
    throw optionTypeError(name, 'a path starting with "/" (no query, fragment or spaces)', value);
  }
};

/** A string or an array of strings (a header list such as `cors.methods`). */
export const stringOrStrings: OptionCheck = (value, name) => {
  if (typeof value === "string") return;
  if (Array.isArray(value) && value.every((entry) => typeof entry === "string")) return;
  throw optionTypeError(name, "a string or an array of strings", value);
};

/**
 * A plain object whose keys all have a check; an unknown key throws a TypeError naming
 * `name.key`. Keys set to undefined are skipped, as at the top level.
 */
export function objectOf(checks: Readonly<Record<string, OptionCheck>>, expected = "an object"): OptionCheck {
  return (value, name) => {
    if (!isPlainObject(value)) throw optionTypeError(name, expected, value);
    for (const [key, entry] of Object.entries(value)) {
      const check = Object.hasOwn(checks, key) ? checks[key] : undefined;
      if (check === undefined) {
        throw new TypeError(`unknown option "${name}.${key}"; "${name}" accepts ${Object.keys(checks).map((k) => `"${k}"`).join(", ")}`);
      }
      if (entry !== undefined) check(entry, `${name}.${key}`);
    }
  };
}
