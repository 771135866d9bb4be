import fc from "fast-check";
import { HUNG, withinTime } from "./hang-guard.js";
import { takeSpent } from "./timed.js";
import { DEFAULT_CASE_BUDGET_MS, type DecoderTarget, type FuzzTarget, type LiveHarness, type LiveTarget, type Outcome } from "./target.js";

export interface RunOptions {
  /** Milliseconds of fuzzing (shrinking comes on top). */
  budgetMs: number;
  /** Milliseconds to shrink each failure. */
  shrinkMs: number;
  /** Seed of the first batch; each later batch uses the next one. */
  seed: number;
  /** Distinct failures after which the target stops: the rest is usually the same bug again. */
  maxFailures: number;
  /** A decoder case still running after this many milliseconds is reported as a hang. */
  hangMs: number;
  /** A live case still running after this many milliseconds fails. */
  liveCaseMs: number;
  /** Called with each new distinct failure, shrunk (to keep it as a regression case). */
  onFailure?: (failure: Failure) => void;
}

export interface Failure {
  error: string;
  /** The shrunk case; undefined for a failure that belongs to no case (a leak found at the end). */
  input: unknown;
  seed: number;
  shrinks: number;
}

export interface TargetReport {
  target: string;
  kind: FuzzTarget["kind"];
  cases: number;
  durationMs: number;
  outcomes: Record<string, number>;
  failures: Failure[];
  firstSeed: number;
}

/* Far more than any budget allows: the time limit is what ends a batch. */
const UNBOUNDED_RUNS = 2 ** 31 - 1;
/* Decoder batches end this often, so that a hang costs at most one batch of progress. */
const BATCH_MS = 2000;

/** Fuzzes one target for `options.budgetMs`, shrinking each distinct failure. */
export function runTarget(target: FuzzTarget, options: RunOptions): Promise<TargetReport> {
  return target.kind === "decoder" ? runDecoder(target, options) : runLive(target, options);
}

/** The same failure, whatever the numbers in its message: one regression case per bug. */
function signature(error: string): string {
  return error.split("\n")[0].replace(/\d+(\.\d+)?/g, "#").slice(0, 160);
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`.slice(0, 2000);
  return String(err).slice(0, 2000);
}

class Tally {
  readonly outcomes = new Map<string, number>();
  readonly failures: Failure[] = [];
  private readonly seen = new Set<string>();
  cases = 0;
  counting = true;
  current: unknown;

  constructor(private readonly options: RunOptions) {}

  count(outcome: Outcome): void {
    if (this.counting) this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
  }

  /** Keeps `failure` unless one with the same signature was kept; true when it was new. */
  fail(failure: Failure): boolean {
    const key = signature(failure.error);
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    this.failures.push(failure);
    this.options.onFailure?.(failure);
    return true;
  }

  get done(): boolean {
    return this.failures.length >= this.options.maxFailures;
  }

  report(target: FuzzTarget, started: number): TargetReport {
    return {
      target: target.name,
      kind: target.kind,
      cases: this.cases,
      durationMs: Math.round(performance.now() - started),
      outcomes: Object.fromEntries([...this.outcomes].sort((a, b) => b[1] - a[1])),
      failures: this.failures,
      firstSeed: this.options.seed,
    };
  }
}

/**
 * Runs `check` and reads the time it spent in the code under test (see timed.ts). A slow case is
 * run again, since a pause of the whole process (GC, another lane) is not the decoder's doing.
 */
function timedCheck<C>(target: DecoderTarget<C>, input: C): Outcome {
  const budget = target.caseBudgetMs ?? DEFAULT_CASE_BUDGET_MS;
  takeSpent();
  const outcome = target.check(input);
  let took = takeSpent();
  for (let retry = 0; retry < 2 && took > budget; retry++) {
    target.check(input);
    took = Math.min(took, takeSpent());
  }
  if (took > budget) throw new Error(`slow: a case took ${took.toFixed(1)} ms, over the ${budget} ms budget`);
  return outcome;
}

async function runDecoder<C>(target: DecoderTarget<C>, options: RunOptions): Promise<TargetReport> {
  const started = performance.now();
  const deadline = started + options.budgetMs;
  const tally = new Tally(options);
  const property = fc.property(target.arbitrary, (input) => {
    tally.current = input;
    tally.count(timedCheck(target, input));
  });
  for (let seed = options.seed; performance.now() < deadline && !tally.done; seed++) {
    // A batch holds the event loop; between batches the test runner's messages get through
    // (vitest's worker reports a timeout when they wait for minutes).
    await new Promise((resolve) => setImmediate(resolve));
    const batch = Math.min(BATCH_MS, deadline - performance.now());
    tally.counting = true;
    const run = withinTime(
      () => fc.check(property, { seed, numRuns: UNBOUNDED_RUNS, endOnFailure: true, plugins: [fc.interruptAfterTimeLimit(batch)] }),
      batch + options.hangMs,
    );
    if (run === HUNG) {
      tally.fail({ error: `hang: a case ran for over ${options.hangMs} ms`, input: tally.current, seed, shrinks: 0 });
      continue;
    }
    tally.cases += run.numRuns;
    if (!run.failed) continue;
    tally.counting = false;
    const shrunk = withinTime(
      () => fc.check(property, { seed, path: run.counterexamplePath ?? undefined, plugins: [fc.interruptAfterTimeLimit(options.shrinkMs)] }),
      options.shrinkMs + options.hangMs,
    );
    const best = shrunk !== HUNG && shrunk.failed && shrunk.counterexample !== null ? shrunk : run;
    tally.fail({ error: describeError(best.errorInstance), input: (best.counterexample as [C] | null)?.[0], seed, shrinks: best.numShrinks });
  }
  return tally.report(target, started);
}

async function runLive<C>(target: LiveTarget<C>, options: RunOptions): Promise<TargetReport> {
  const started = performance.now();
  const deadline = started + options.budgetMs;
  const tally = new Tally(options);
  let harness: LiveHarness<C> = await target.start();
  let inflight: Promise<Outcome> | undefined;
  const property = fc.asyncProperty(target.arbitrary, async (input) => {
    tally.current = input;
    inflight = harness.check(input);
    tally.count(await inflight);
  });
  const plugins = (ms: number) => [fc.interruptAfterTimeLimit(ms), fc.timeout(options.liveCaseMs)];
  // fast-check stops waiting for a case at its time limits, but the case keeps running: let it
  // end (or give up on it) before the server is stopped under it.
  const settle = async (): Promise<void> => {
    if (inflight !== undefined) await Promise.race([inflight.catch(() => {}), sleep(options.liveCaseMs)]);
  };
  // A failed case may leave the server in any state: later cases and the shrinking get a fresh one.
  const restart = async (): Promise<void> => {
    await settle();
    await harness.stop().catch(() => {});
    harness = await target.start();
  };
  for (let seed = options.seed; performance.now() < deadline && !tally.done; seed++) {
    tally.counting = true;
    const run = await fc.check(property, { seed, numRuns: UNBOUNDED_RUNS, endOnFailure: true, plugins: plugins(deadline - performance.now()) });
    tally.cases += run.numRuns;
    if (!run.failed) continue;
    tally.counting = false;
    await restart();
    const shrunk = await fc.check(property, { seed, path: run.counterexamplePath ?? undefined, plugins: plugins(options.shrinkMs) });
    const best = shrunk.failed && shrunk.counterexample !== null ? shrunk : run;
    tally.fail({ error: describeError(best.errorInstance), input: (best.counterexample as [C] | null)?.[0], seed, shrinks: best.numShrinks });
    await restart();
  }
  await settle();
  try {
    await harness.stop();
  } catch (err) {
    tally.fail({ error: `after the run: ${describeError(err)}`, input: undefined, seed: options.seed, shrinks: 0 });
  }
  return tally.report(target, started);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
