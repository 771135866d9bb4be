import type fc from "fast-check";

/**
 * What one case led to, counted per target so a run shows how deep its input got: "packet 4",
 * "ERR_INVALID_PAYLOAD 1007", "open", "closed 1009", "HTTP 400 ERR_INVALID_PACKET"…
 */
export type Outcome = string;

/**
 * A pure function fuzzed in-process (a decoder). `check` throws when the property does not hold
 * and must not keep state between cases: a failing case is replayed alone, later, from a file.
 * It wraps its calls to the code under test in `timed()`: their time is what the budget bounds.
 */
export interface DecoderTarget<C> {
  readonly kind: "decoder";
  readonly name: string;
  readonly arbitrary: fc.Arbitrary<C>;
  check(input: C): Outcome;
  /* Decoding a frame of at most a few hundred kilobytes takes well under a millisecond; a
     hundred means super-linear work, not a slow machine. */
  readonly caseBudgetMs?: number;
}

/** A server fuzzed over loopback: `start` brings it up, each case runs on connections of its own. */
export interface LiveTarget<C> {
  readonly kind: "live";
  readonly name: string;
  readonly arbitrary: fc.Arbitrary<C>;
  start(): Promise<LiveHarness<C>>;
}

export interface LiveHarness<C> {
  /** Runs one case and checks the server afterwards; throws when a property does not hold. */
  check(input: C): Promise<Outcome>;
  /** Stops the server, checking first that nothing outlived the cases. */
  stop(): Promise<void>;
}

export type FuzzTarget<C = any> = DecoderTarget<C> | LiveTarget<C>;

/** The default per-case budget of decoder targets. */
export const DEFAULT_CASE_BUDGET_MS = 100;
