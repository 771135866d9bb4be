// What a packed package.json must say before anyone outside the workspace installs it: who may
// use it (license), where it comes from (repository), what runs it (engines, ESM), how it is
// found (keywords), and that pnpm replaced every workspace: range.
import { execFileSync } from "node:child_process";

const REPOSITORY_URL = "git+https://github.com/roomcast/roomcast.git";

/** `types` first wherever a conditions object has it: TypeScript takes the first match. */
function typesNotFirst(exports, where, problems) {
  if (exports === null || typeof exports !== "object") return;
  const keys = Object.keys(exports);
  if (keys.includes("types") && keys[0] !== "types") problems.push(`exports${where}: "types" is not the first condition`);
  for (const key of keys) typesNotFirst(exports[key], `${where}[${JSON.stringify(key)}]`, problems);
}

/**
 * Problems with the tarball of the package found at `dir` (for example `packages/core`), as
 * sentences; empty when there are none.
 */
export function manifestProblems(tarball, dir) {
  const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n");
  const pkg = JSON.parse(execFileSync("tar", ["-xzOf", tarball, "package/package.json"], { encoding: "utf8" }));
  const problems = [];
  if (pkg.license !== "MIT") problems.push(`license is ${JSON.stringify(pkg.license)}, not "MIT"`);
  if (!files.includes("package/LICENSE")) problems.push("no LICENSE file");
  if (!files.includes("package/README.md")) problems.push("no README.md");
  if (pkg.repository?.url !== REPOSITORY_URL || pkg.repository?.directory !== dir) {
    problems.push(`repository should be { url: "${REPOSITORY_URL}", directory: "${dir}" }`);
  }
  if (!pkg.engines?.node) problems.push("no engines.node");
  if (!Array.isArray(pkg.keywords) || pkg.keywords.length === 0) problems.push("no keywords");
  if (pkg.type !== "module") problems.push('type is not "module" (the packages are ESM-only)');
  typesNotFirst(pkg.exports, "", problems);
  for (const field of ["dependencies", "peerDependencies", "optionalDependencies"]) {
    for (const [name, range] of Object.entries(pkg[field] ?? {})) {
      if (String(range).startsWith("workspace:")) problems.push(`${field}.${name} is still ${range}`);
    }
  }
  for (const name of Object.keys(pkg.peerDependencies ?? {})) {
    if (pkg.dependencies?.[name]) problems.push(`${name} is both a dependency and a peer dependency (two copies for the app)`);
  }
  return problems;
}
