/** Options of `createStreamsStore`. */
export interface StreamsStoreOptions {
  /** First part of every key and channel; servers sharing a store must agree on it. Default "roomcast". */
  prefix?: string;
  /**
   * How long (ms) a change to a live session (a room joined or left) waits before it is written,
   * so that more changes share one write. The socket's output waits as long, and a crash can lose
   * changes this recent (docs/RECOVERY.md, "Crashes"). Default 0: the next turn of the event loop.
   */
  sessionFlushDelay?: number;
  /**
   * How often (ms) every live session is written again: its TTL renewed and `socket.data`
   * captured. Default a quarter of `maxDisconnectionDuration`, between 1000 and 30000.
   */
  sessionRefreshInterval?: number;
}

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
