// Builds the browser bundles (ESM, minified) and records their sizes in dist/browser/sizes.json.
// `node scripts/bundle.mjs --analyze` also prints what each module contributes.
import { analyzeMetafile, build } from "esbuild";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist", "browser");
mkdirSync(outdir, { recursive: true });

/* the JSON-only bundle must stay well below socket.io-client's ~13 KB gzip */
const BUDGET_GZIP = 5 * 1024;

/*
 * eventemitter3's package entry is CommonJS behind a one-line ESM re-export, which costs the
 * bundle esbuild's CommonJS interop helpers. The package ships an ESM build as well: use it when
 * it is there (same code, same version), else fall back to the normal entry.
 */
const require = createRequire(join(root, "package.json"));
const emitterEsm = join(dirname(require.resolve("eventemitter3")), "dist", "eventemitter3.esm.js");
const emitterAsEsm = {
  name: "eventemitter3-esm",
  setup(build) {
    if (existsSync(emitterEsm)) build.onResolve({ filter: /^eventemitter3$/ }, () => ({ path: emitterEsm }));
  },
};

const bundles = [
  { name: "roomcast.min.js", budget: BUDGET_GZIP, source: 'export * from "./src/index.ts"; export { default } from "./src/index.ts";' },
  {
    name: "roomcast-msgpack.min.js",
    source: 'export * from "./src/index.ts"; export { default } from "./src/index.ts"; export { msgpackCodec } from "./src/msgpack.ts";',
  },
];

const analyze = process.argv.includes("--analyze");
const sizes = {};
for (const bundle of bundles) {
  const outfile = join(outdir, bundle.name);
  const result = await build({
    stdin: { contents: bundle.source, resolveDir: root, loader: "ts", sourcefile: bundle.name },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    // "source" makes workspace packages resolve to their TypeScript; "browser" picks the native WebSocket
    conditions: ["source", "browser"],
    // Internal members are named `_x` (nothing public or on the wire starts with "_"), so the
    // bundle may shorten them. Only this bundle: dist/*.js keeps the names for debugging.
    mangleProps: /^_/,
    reserveProps: /^__.*__$/,
    plugins: [emitterAsEsm],
    metafile: analyze,
    outfile,
    logLevel: "warning",
  });
  if (analyze) console.log(await analyzeMetafile(result.metafile));
  const code = readFileSync(outfile);
  sizes[bundle.name] = { min: code.length, gzip: gzipSync(code, { level: 9 }).length };
  if (bundle.budget) sizes[bundle.name].budgetGzip = bundle.budget;
}
writeFileSync(join(outdir, "sizes.json"), JSON.stringify(sizes, null, 2) + "\n");
const kb = (bytes) => (bytes / 1024).toFixed(2).padStart(6);
for (const [name, { min, gzip, budgetGzip }] of Object.entries(sizes)) {
  const budget = budgetGzip ? `  budget ${kb(budgetGzip)} KB gzip: ${gzip <= budgetGzip ? "within" : "OVER"}` : "";
  console.log(`${name.padEnd(24)} ${kb(min)} KB min  ${kb(gzip)} KB min+gzip${budget}`);
}
