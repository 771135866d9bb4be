// Builds the browser bundles (ESM, minified) and records their sizes in dist/browser/sizes.json.
import { build } from "esbuild";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist", "browser");
mkdirSync(outdir, { recursive: true });

const bundles = [
  { name: "roomcast.min.js", source: 'export * from "./src/index.ts"; export { default } from "./src/index.ts";' },
  {
    name: "roomcast-msgpack.min.js",
    source: 'export * from "./src/index.ts"; export { default } from "./src/index.ts"; export { msgpackCodec } from "./src/msgpack.ts";',
  },
];

const sizes = {};
for (const bundle of bundles) {
  const outfile = join(outdir, bundle.name);
  await build({
    stdin: { contents: bundle.source, resolveDir: root, loader: "ts", sourcefile: bundle.name },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    // "source" makes workspace packages resolve to their TypeScript; "browser" picks the native WebSocket
    conditions: ["source", "browser"],
    outfile,
    logLevel: "warning",
  });
  const code = readFileSync(outfile);
  sizes[bundle.name] = { min: code.length, gzip: gzipSync(code, { level: 9 }).length };
}
writeFileSync(join(outdir, "sizes.json"), JSON.stringify(sizes, null, 2) + "\n");
for (const [name, { min, gzip }] of Object.entries(sizes)) {
  console.log(`${name.padEnd(26)} ${(min / 1024).toFixed(1).padStart(6)} KB min  ${(gzip / 1024).toFixed(2).padStart(6)} KB min+gzip`);
}
