import vm from "node:vm";

/*
 * A synchronous function that never returns cannot be stopped by a timer. `vm`'s timeout can:
 * it terminates whatever JavaScript runs on the isolate, including functions of this realm called
 * from the script. Starting its watchdog costs ~0.3 ms, so decoders are guarded per batch of
 * cases, not per case.
 */

export const HUNG = Symbol("hung");

const context = vm.createContext({ run: undefined as unknown });
const script = new vm.Script("run()");

/** Runs `fn`; returns HUNG when it was still running after `ms` milliseconds. */
export function withinTime<T>(fn: () => T, ms: number): T | typeof HUNG {
  context.run = fn;
  try {
    return script.runInContext(context, { timeout: Math.max(1, Math.ceil(ms)) }) as T;
  } catch (err) {
    if ((err as { code?: unknown }).code === "ERR_SCRIPT_EXECUTION_TIMEOUT") return HUNG;
    throw err;
  } finally {
    context.run = undefined;
  }
}
