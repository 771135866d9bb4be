import type { StreamsStoreOptions } from "./streams-store.js";

/* setTimeout fires at once for larger delays (Node clamps them): such a value is a mistake */
const MAX_TIMER_MS = 2 ** 31 - 1;

const CHECKS: Record<keyof StreamsStoreOptions, (value: unknown) => string | undefined> = {
  prefix: (value) => (typeof value === "string" && value.length > 0 ? undefined : "a non-empty string"),
  sessionFlushDelay: (value) => milliseconds(value, 0),
  sessionRefreshInterval: (value) => milliseconds(value, 100),
};

function milliseconds(value: unknown, min: number): string | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= min && value <= MAX_TIMER_MS ? undefined : `a number of milliseconds from ${min} to ${MAX_TIMER_MS}`;
}

/**
 * Checks the options of `createStreamsStore`: an unknown key or a value of the wrong type throws a
 * TypeError naming it, so a typo fails when the server starts instead of being ignored.
 */
export function checkStreamsStoreOptions(opts: StreamsStoreOptions): void {
  if (typeof opts !== "object" || opts === null) throw new TypeError(`createStreamsStore: options must be an object; got ${String(opts)}`);
  for (const [name, value] of Object.entries(opts)) {
    const check = CHECKS[name as keyof StreamsStoreOptions] as ((value: unknown) => string | undefined) | undefined;
    if (check === undefined) throw new TypeError(`createStreamsStore: unknown option "${name}" (known: ${Object.keys(CHECKS).join(", ")})`);
    if (value === undefined) continue;
    const expected = check(value);
    if (expected !== undefined) throw new TypeError(`createStreamsStore: option "${name}" must be ${expected}; got ${JSON.stringify(value) ?? String(value)}`);
  }
}
