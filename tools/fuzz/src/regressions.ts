import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { caseToJson } from "./case-json.js";
import type { Failure } from "./run-target.js";

/*
 * Failing cases found by `pnpm fuzz`, shrunk, one JSON file per target next to the package's
 * tests. A normal test replays every case on every run, so a fixed bug stays fixed.
 */

export interface RegressionCase {
  /** When the fuzzer found it (ISO date). */
  found: string;
  /** What failed, as first reported. */
  error: string;
  /** The fast-check seed of the batch that found it. */
  seed: number;
  /** The case, as `caseToJson` writes it. */
  input: unknown;
  /**
   * "failure" while the bug is known and not yet fixed: the case is replayed as an expected
   * failure, so the suite stays green and turns red once the fix lands and the flag can go.
   */
  expect?: "failure";
  /** Why the case is kept, or what is known about it. */
  note?: string;
}

export interface RegressionFile {
  target: string;
  cases: RegressionCase[];
}

export function regressionPath(dir: string, target: string): string {
  return join(dir, `${target}.json`);
}

/** Every regression file in `dir`. */
export function loadRegressionFiles(dir: string): RegressionFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((name) => JSON.parse(readFileSync(join(dir, name), "utf8")) as RegressionFile);
}

/** Appends `failure` to the target's file unless the same case is there; true when written. */
export function keepRegression(dir: string, target: string, failure: Failure): boolean {
  if (failure.input === undefined) return false;
  const path = regressionPath(dir, target);
  const file: RegressionFile = existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as RegressionFile) : { target, cases: [] };
  const input = caseToJson(failure.input);
  const text = JSON.stringify(input);
  if (file.cases.some((kept) => JSON.stringify(kept.input) === text)) return false;
  file.cases.push({ found: new Date().toISOString().slice(0, 10), error: failure.error.split("\n")[0].slice(0, 300), seed: failure.seed, input });
  mkdirSync(dir, { recursive: true });
  writeFileSync(path, JSON.stringify(file, null, 2) + "\n");
  return true;
}
