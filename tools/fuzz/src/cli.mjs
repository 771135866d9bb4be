#!/usr/bin/env node
// pnpm fuzz [--minutes N | --seconds N] [--target a,b] [--jobs J] [--seed S] [--report DIR] [--list]
//
// Runs the fuzz targets (packages/*/test/fuzz/<name>.fuzz.ts) for a set wall time, `--jobs` at
// a time, each for an equal share of it. Failing cases are shrunk and written to the package's
// test/fuzz-regressions/<name>.json, which the normal test run replays. Exit status 1 when a
// target failed or did not report.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CONFIG = join(ROOT, "vitest.fuzz.config.ts");
const VITEST = join(ROOT, "node_modules", ".bin", "vitest");
/* What starting vitest and transforming the targets costs, taken off the fuzzing time. */
const STARTUP_MS = 15_000;
/* Per target on top of its budget: a live server starts, stops and waits for recovery sessions to expire. */
const TARGET_OVERHEAD_MS = 3000;
/* Past the planned time (fuzzing plus shrinking), a run is stuck: a hang no guard caught. */
const WATCHDOG_SLACK_MS = 120_000;

function parseArgs(argv) {
  const args = { ms: 5 * 60_000, targets: [], jobs: Math.max(1, Math.min(availableParallelism(), 4)), seed: undefined, report: undefined, list: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    if (flag === "--minutes") args.ms = Number(value()) * 60_000;
    else if (flag === "--seconds") args.ms = Number(value()) * 1000;
    else if (flag === "--target") args.targets.push(...value().split(","));
    else if (flag === "--jobs") args.jobs = Number(value());
    else if (flag === "--seed") args.seed = Number(value());
    else if (flag === "--report") args.report = value();
    else if (flag === "--list") args.list = true;
    else if (flag === "--help" || flag === "-h") {
      console.log("pnpm fuzz [--minutes N | --seconds N] [--target a,b] [--jobs J] [--seed S] [--report DIR] [--list]");
      process.exit(0);
    } else throw new Error(`unknown option ${flag}`);
  }
  if (!(args.ms > 0) || !(args.jobs >= 1)) throw new Error("--minutes/--seconds and --jobs must be positive");
  return args;
}

/** Every target, from its file name: packages/<pkg>/test/fuzz/<name>.fuzz.ts. */
function discoverTargets() {
  const targets = [];
  for (const pkg of readdirSync(join(ROOT, "packages")).sort()) {
    const dir = join(ROOT, "packages", pkg, "test", "fuzz");
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).sort()) {
      if (!file.endsWith(".fuzz.ts")) continue;
      const path = join(dir, file);
      // the file's first comment line says what the target is
      const about = /^\/\/ (.*)$/m.exec(readFileSync(path, "utf8"))?.[1] ?? "";
      targets.push({ name: basename(file, ".fuzz.ts"), file: relative(ROOT, path), about });
    }
  }
  return targets;
}

function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => String(row[c]).length)));
  return rows.map((row) => row.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join("  ")).join("\n");
}

function summarize(selected, reportDir) {
  const rows = [["target", "cases", "cases/s", "failures", "most frequent outcomes"]];
  let ok = true;
  for (const target of selected) {
    const path = join(reportDir, `${target.name}.json`);
    if (!existsSync(path)) {
      rows.push([target.name, "-", "-", "no report", ""]);
      ok = false;
      continue;
    }
    const report = JSON.parse(readFileSync(path, "utf8"));
    const top = Object.entries(report.outcomes)
      .slice(0, 3)
      .map(([outcome, n]) => `${outcome} ${Math.round((100 * n) / Math.max(1, report.cases))}%`)
      .join(", ");
    rows.push([target.name, report.cases, Math.round(report.cases / Math.max(1, report.durationMs / 1000)), report.failures.length, top]);
    for (const failure of report.failures) {
      ok = false;
      console.log(`\n${target.name}: ${failure.error.split("\n")[0]}\n  seed ${failure.seed}, ${failure.shrinks} shrinks; input: ${JSON.stringify(failure.input).slice(0, 600)}`);
    }
  }
  console.log(`\n${table(rows)}\n`);
  return ok;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const all = discoverTargets();
  if (args.list) {
    for (const target of all) console.log(`${target.name.padEnd(24)} ${target.about}`);
    return 0;
  }
  const unknown = args.targets.filter((name) => !all.some((target) => target.name === name));
  if (unknown.length > 0) throw new Error(`unknown target(s) ${unknown.join(", ")}; pnpm fuzz --list shows them`);
  const selected = args.targets.length === 0 ? all : all.filter((target) => args.targets.includes(target.name));
  const jobs = Math.min(args.jobs, selected.length);
  const rounds = Math.ceil(selected.length / jobs);
  const budgetMs = Math.max(2000, Math.floor((args.ms - STARTUP_MS) / rounds) - TARGET_OVERHEAD_MS);
  const shrinkMs = Math.min(30_000, Math.max(3000, Math.floor(budgetMs / 4)));
  const reportDir = args.report ?? mkdtempSync(join(tmpdir(), "roomcast-fuzz-"));
  for (const target of selected) rmSync(join(reportDir, `${target.name}.json`), { force: true });
  console.log(`fuzzing ${selected.length} target(s), ${jobs} at a time, ${Math.round(budgetMs / 1000)} s each (+ up to ${Math.round(shrinkMs / 1000)} s per failure to shrink)`);
  const env = {
    ...process.env,
    ROOMCAST_FUZZ_MS: String(budgetMs),
    ROOMCAST_FUZZ_SHRINK_MS: String(shrinkMs),
    ROOMCAST_FUZZ_REPORT: reportDir,
    ROOMCAST_FUZZ_JOBS: String(jobs),
    ...(args.seed === undefined ? {} : { ROOMCAST_FUZZ_SEED: String(args.seed) }),
  };
  const child = spawn(VITEST, ["run", "--config", CONFIG, ...selected.map((target) => target.file)], { cwd: ROOT, env, stdio: "inherit", detached: true });
  // vitest runs in a process group of its own, so that the watchdog can stop all of it
  const stop = (signal) => process.kill(-child.pid, signal);
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  const limit = rounds * (budgetMs + TARGET_OVERHEAD_MS + 3 * shrinkMs) + STARTUP_MS + WATCHDOG_SLACK_MS;
  const watchdog = setTimeout(() => {
    console.error(`\nfuzz: still running after ${Math.round(limit / 1000)} s; stopping it (a hang no in-process guard caught)`);
    stop("SIGKILL");
  }, limit);
  const code = await new Promise((resolve) => child.on("exit", (exitCode) => resolve(exitCode ?? 1)));
  clearTimeout(watchdog);
  const ok = summarize(selected, reportDir);
  if (args.report === undefined) rmSync(reportDir, { recursive: true, force: true });
  return ok && code === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`fuzz: ${err.message}`);
    process.exit(2);
  },
);
