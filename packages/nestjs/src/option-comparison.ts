/**
 * Whether two option values say the same thing: equal primitives, arrays and plain objects with
 * the same entries, RegExps with the same source and flags. Functions, classes and other objects
 * (an adapter constructor, a logger, a cors delegate) are the same only when they are the same
 * value.
 */
export function sameOptionValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof RegExp && b instanceof RegExp) return a.source === b.source && a.flags === b.flags;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, index) => sameOptionValue(item, b[index]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = definedKeys(a);
    const otherKeys = definedKeys(b);
    return keys.length === otherKeys.length && keys.every((key) => Object.hasOwn(b, key) && sameOptionValue(a[key], b[key]));
  }
  return false;
}

/**
 * The names of the options in `given` whose value differs from the one in `base`. An option set to
 * `undefined` counts as not given, as in roomcast's `resolveOptions`.
 */
export function differingOptions(given: Record<string, unknown>, base: Record<string, unknown>): string[] {
  return definedKeys(given).filter((key) => !sameOptionValue(given[key], base[key]));
}

function definedKeys(record: Record<string, unknown>): string[] {
  return Object.keys(record).filter((key) => record[key] !== undefined);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
