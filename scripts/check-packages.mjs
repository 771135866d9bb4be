// The packages as someone outside this monorepo gets them (part of `pnpm test`; alone:
// `node scripts/check-packages.mjs [--keep]`). Builds and packs every public package under
// packages/, checks each tarball's manifest, runs publint and `attw --profile esm-only` on it,
// then, for ioredis 5 and for ioredis 6, installs the tarballs with npm into a blank project in a
// temporary folder, typechecks a small server and client with skipLibCheck off (module nodenext,
// node16, bundler, and the client alone with DOM types only) and runs them against a real Redis.
// Bounded: every command has a deadline and the whole check stops after TOTAL_MS. The temporary
// folder is removed at the end (kept with --keep, to look into a failure).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createConsumer, runApp, typecheck } from "./package-check/consumer.mjs";
import { manifestProblems } from "./package-check/manifest.mjs";
import { killAll, run, runOrThrow, seconds } from "./package-check/processes.mjs";
import { findRedis } from "./package-check/redis.mjs";

/** The whole check, install from a cold npm cache included, stays well under three minutes. */
const TOTAL_MS = 170_000;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BIN = path.join(ROOT, "node_modules/.bin");
const rootManifest = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
/**
 * The peers an app picks: the adapter takes ioredis 5 or 6, each gets a project of its own. The
 * browser check (the client alone, no ioredis) and node16 (which resolves ESM packages as
 * nodenext does) run once; nodenext and bundler run with both.
 */
const VARIANTS = [
  { label: "ioredis 5", spec: "ioredis@^5", tsconfigs: ["nodenext", "node16", "bundler", "browser"] },
  { label: "ioredis 6", spec: "ioredis@^6", tsconfigs: ["nodenext", "bundler"] },
];
/** TypeScript and Node types as the repository itself uses them. */
const TOOLING = [`typescript@${rootManifest.devDependencies.typescript}`, `@types/node@${rootManifest.devDependencies["@types/node"]}`];

const started = Date.now();
const keep = process.argv.includes("--keep");
const failures = [];
let workDir;
let redis;

const log = (line) => console.log(`check-packages: ${line}`);

function cleanUp() {
  killAll();
  redis?.stop();
  if (workDir && !keep) rmSync(workDir, { recursive: true, force: true });
}

function abort(message) {
  console.error(`check-packages: ${message}`);
  cleanUp();
  process.exit(1);
}

setTimeout(() => abort(`stopped after ${seconds(TOTAL_MS)}: the check has a time bound`), TOTAL_MS).unref();
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => abort(`stopped by ${signal}`));

function publicPackages() {
  const dirs = readdirSync(path.join(ROOT, "packages"), { withFileTypes: true }).filter((d) => d.isDirectory());
  const packages = [];
  for (const dir of dirs) {
    let manifest;
    try {
      manifest = JSON.parse(readFileSync(path.join(ROOT, "packages", dir.name, "package.json"), "utf8"));
    } catch {
      continue;
    }
    if (!manifest.private) packages.push({ ...manifest, dir: `packages/${dir.name}` });
  }
  return packages;
}

/** Where `pnpm pack` puts a package's tarball: the scope's "@" dropped, its "/" made "-". */
function tarballName(pkg) {
  return `${pkg.name.replace(/^@/, "").replace("/", "-")}-${pkg.version}.tgz`;
}

async function lint(pkg, tarball) {
  const problems = manifestProblems(tarball, pkg.dir).map((p) => `${pkg.name}: ${p}`);
  const publint = await run(path.join(BIN, "publint"), ["--strict", tarball], { timeoutMs: 60_000 });
  if (publint.code !== 0) problems.push(`${pkg.name}: publint --strict\n${publint.stdout}${publint.stderr}`);
  const attw = await run(path.join(BIN, "attw"), [tarball, "--profile", "esm-only", "--format", "ascii"], { timeoutMs: 60_000 });
  if (attw.code !== 0) problems.push(`${pkg.name}: attw --profile esm-only\n${attw.stdout}${attw.stderr}`);
  return problems;
}

async function variant({ label, spec, tsconfigs }, packages, tarballs) {
  const dir = path.join(workDir, `app-${label.replace(/\W+/g, "-")}`);
  const install = await createConsumer({ dir, tarballs, packages, specs: [spec, ...TOOLING], report: ["ioredis", "typescript"], timeoutMs: 120_000 });
  const tsStarted = Date.now();
  const types = await typecheck(dir, tsconfigs, 60_000);
  return { label, dir, install, types, typecheckMs: Date.now() - tsStarted };
}

try {
  const packages = publicPackages();
  log(`packages: ${packages.map((p) => `${p.name}@${p.version}`).join(", ")}`);

  const build = await runOrThrow("pnpm", ["turbo", "run", "build", "--output-logs=errors-only", ...packages.map((p) => `--filter=${p.name}`)], { cwd: ROOT, timeoutMs: 120_000 });
  log(`built (${seconds(build.ms)})`);

  workDir = mkdtempSync(path.join(tmpdir(), "roomcast-packages-"));
  if (!path.relative(ROOT, workDir).startsWith("..")) throw new Error(`${workDir} is inside the workspace; set TMPDIR elsewhere`);
  const tarDir = path.join(workDir, "tarballs");
  mkdirSync(tarDir);
  const packStarted = Date.now();
  await Promise.all(packages.map((p) => runOrThrow("pnpm", ["pack", "--pack-destination", tarDir], { cwd: path.join(ROOT, p.dir), timeoutMs: 60_000 })));
  const tarballs = packages.map((p) => path.join(tarDir, tarballName(p)));
  log(`packed into ${tarDir} (${seconds(Date.now() - packStarted)})`);

  redis = await findRedis();
  log(`redis: ${redis.source}`);

  // The linters and the two installs wait mostly on the disk and the network: run them together.
  const lintStarted = Date.now();
  const linting = Promise.all(packages.map((p, i) => lint(p, tarballs[i]))).then((all) => ({ problems: all.flat(), ms: Date.now() - lintStarted }));
  const variants = await Promise.all(VARIANTS.map((v) => variant(v, packages, tarballs)));
  const { problems, ms: lintMs } = await linting;
  if (problems.length === 0) log(`manifests, publint --strict, attw --profile esm-only: ${packages.length} packages clean (${seconds(lintMs)})`);
  failures.push(...problems);

  for (const v of variants) {
    const prefix = `[${v.label}]`;
    log(`${prefix} npm install ${v.install.versions.join(", ")} (${seconds(v.install.ms)})`);
    log(`${prefix} tsc, skipLibCheck false: ${v.types.passed.join(", ") || "none"} passed (${seconds(v.typecheckMs)})`);
    failures.push(...v.types.failures.map((f) => `${prefix} ${f}`));
    try {
      const app = await runApp(v.dir, { redisUrl: redis.url, prefix: `roomcast-package-check-${process.pid}-${v.label.replace(/\W+/g, "")}` }, 20_000);
      log(`${prefix} node: ${app.entries}; client: ${app.client}; server and client exited 0 (${seconds(app.ms)})`);
    } catch (err) {
      failures.push(`${prefix} run: ${err.message}`);
    }
  }
} catch (err) {
  failures.push(err.message);
} finally {
  cleanUp();
}

if (keep) log(`kept ${workDir}`);
if (failures.length > 0) {
  for (const failure of failures) console.error(`\ncheck-packages: FAILED ${failure}`);
  console.error(`\ncheck-packages: ${failures.length} problem(s) (${seconds(Date.now() - started)})`);
  process.exit(1);
}
log(`all good (${seconds(Date.now() - started)})`);
