/** A listener of `onAny` / `onAnyOutgoing`: hears every event, name first. */
export type AnyListener = (event: string, ...args: any[]) => void;

/**
 * Calls each catch-all listener with `[event, ...args]`. A listener that throws, or returns a
 * promise that rejects, is reported (never an unhandled rejection) and the others still run; a
 * listener that removes itself does not disturb the walk (it runs on a copy).
 */
export function notifyCatchAll(listeners: AnyListener[], event: unknown[], report: (err: unknown) => void): void {
  for (const listener of [...listeners]) {
    try {
      const result: unknown = (listener as (...args: unknown[]) => unknown)(...event);
      if (isThenable(result)) result.then(undefined, report);
    } catch (err) {
      report(err);
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/**
 * `listeners` without `listener`, or without every listener when none is named. Returns undefined
 * once empty, so sockets keep no array for a feature they do not use.
 */
export function withoutCatchAll(listeners: AnyListener[] | undefined, listener: AnyListener | undefined): AnyListener[] | undefined {
  if (listeners === undefined || listener === undefined) return undefined;
  const index = listeners.indexOf(listener);
  if (index !== -1) listeners.splice(index, 1);
  return listeners.length === 0 ? undefined : listeners;
}
