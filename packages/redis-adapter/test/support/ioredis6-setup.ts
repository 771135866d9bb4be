// vitest.ioredis6.config.ts: fail at once if "ioredis" did not resolve to ioredis 6, so a broken
// alias never passes for a run on ioredis 6.
import { Redis } from "ioredis";
import { Redis as Redis6 } from "ioredis6";
import { createRequire } from "node:module";

const version = (createRequire(import.meta.url)("ioredis6/package.json") as { version: string }).version;
if ((Redis as unknown) !== Redis6 || !version.startsWith("6.")) {
  throw new Error(`this run is meant for ioredis 6, but "ioredis" resolved to another copy (ioredis6 is ${version})`);
}
