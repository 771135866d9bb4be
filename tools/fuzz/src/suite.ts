import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { caseFromJson, caseToJson } from "./case-json.js";
import { HUNG, withinTime } from "./hang-guard.js";
import { keepRegression, loadRegressionFiles } from "./regressions.js";
import { runTarget, type TargetReport } from "./run-target.js";
import { takeSpent } from "./timed.js";
import { DEFAULT_CASE_BUDGET_MS, type FuzzTarget, type LiveHarness } from "./target.js";

/*
 * The vitest side of the fuzzer. `pnpm fuzz` runs each target's `*.fuzz.ts` file with its budget
 * in the environment (see cli.mjs); the same files run alone with `vitest run --config
 * vitest.fuzz.config.ts <file>` and the defaults below.
 */

const env = process.env;
const number = (name: string, fallback: number): number => (env[name] === undefined || env[name] === "" ? fallback : Number(env[name]));

/** A decoder case running this long is a hang, in a fuzzing run and in a replay. */
const HANG_MS = 10_000;
/* A live case is a few round trips on loopback; this much means the server stopped answering. */
const LIVE_CASE_MS = 20_000;

function settings() {
  const budgetMs = number("ROOMCAST_FUZZ_MS", 10_000);
  return {
    budgetMs,
    // a quarter of the budget, within [3 s, 60 s]: enough to shrink most cases to a few fields
    shrinkMs: number("ROOMCAST_FUZZ_SHRINK_MS", Math.min(60_000, Math.max(3000, budgetMs / 4))),
    seed: number("ROOMCAST_FUZZ_SEED", Math.floor(Math.random() * 2 ** 31)),
    maxFailures: number("ROOMCAST_FUZZ_MAX_FAILURES", 3),
    reportDir: env.ROOMCAST_FUZZ_REPORT,
    keep: env.ROOMCAST_FUZZ_KEEP !== "0",
  };
}

/** Declares the vitest test that fuzzes `target` and keeps its failures in `regressionsDir`. */
export function fuzzSuite(target: FuzzTarget, regressionsDir: string): void {
  const options = settings();
  // every failure may take a shrink and two server restarts; the rest is slack for a slow machine
  const timeout = options.budgetMs + options.maxFailures * (options.shrinkMs + 2 * LIVE_CASE_MS) + 60_000;
  it(
    `fuzz ${target.name} for ${Math.round(options.budgetMs / 1000)} s`,
    async () => {
      const report = await runTarget(target, {
        ...options,
        hangMs: HANG_MS,
        liveCaseMs: LIVE_CASE_MS,
        onFailure: (failure) => {
          if (options.keep) keepRegression(regressionsDir, target.name, failure);
        },
      });
      if (options.reportDir !== undefined) writeReport(options.reportDir, report);
      expect(report.failures.map((failure) => failure.error), `failing cases were kept in ${regressionsDir}`).toEqual([]);
    },
    timeout,
  );
}

function writeReport(dir: string, report: TargetReport): void {
  mkdirSync(dir, { recursive: true });
  const failures = report.failures.map((failure) => ({ ...failure, input: caseToJson(failure.input) }));
  writeFileSync(join(dir, `${report.target}.json`), JSON.stringify({ ...report, failures }, null, 2));
}

/**
 * Replays every kept case of `targets` found in `regressionsDir`. Decoder cases run under the
 * hang guard and a budget ten times the fuzzing one (replays share the machine with the suite).
 */
export function regressionSuite(targets: readonly FuzzTarget[], regressionsDir: string): void {
  const files = loadRegressionFiles(regressionsDir);
  const byName = new Map(targets.map((target) => [target.name, target]));
  describe("fuzz regressions", () => {
    it("every regression file belongs to a fuzz target of this package", () => {
      expect(files.map((file) => file.target).filter((name) => !byName.has(name))).toEqual([]);
    });
    for (const file of files) {
      const target = byName.get(file.target);
      if (target === undefined || file.cases.length === 0) continue;
      describe(target.name, () => {
        let harness: LiveHarness<unknown> | undefined;
        if (target.kind === "live") {
          beforeAll(async () => {
            harness = await target.start();
          });
          afterAll(async () => {
            await harness?.stop();
          });
        }
        for (const kept of file.cases) {
          const replay = async (): Promise<void> => {
            const input = caseFromJson(kept.input);
            if (target.kind === "live") {
              await (harness as LiveHarness<unknown>).check(input);
              return;
            }
            const budget = 10 * (target.caseBudgetMs ?? DEFAULT_CASE_BUDGET_MS);
            takeSpent();
            if (withinTime(() => target.check(input), HANG_MS) === HUNG) throw new Error(`hang: still running after ${HANG_MS} ms`);
            expect(takeSpent(), "milliseconds in the code under test").toBeLessThan(budget);
          };
          const title = `${kept.found}: ${kept.error.slice(0, 120)}`;
          if (kept.expect === "failure") it.fails(title, replay, LIVE_CASE_MS * 2);
          else it(title, replay, LIVE_CASE_MS * 2);
        }
      });
    }
  });
}
