/** A listener of `onAny` / `onAnyOutgoing`: hears every event, name first. */
export type AnyListener = (event: string, ...args: any[]) => void;

/**
 * Calls each catch-all listener with `[event, ...args]`. A listener that throws is reported and
 * the others still run; a listener that removes itself does not disturb the walk (it runs on a copy).
 */
export function notifyCatchAll(listeners: AnyListener[], event: unknown[], report: (err: unknown) => void): void {
  for (const listener of [...listeners]) {
    try {
      listener(...(event as [string, ...unknown[]]));
    } catch (err) {
      report(err);
    }
  }
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
