import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const source = (file: string) => readFileSync(new URL(`../src/${file}`, import.meta.url), "utf8").split("\n");

describe("the roomcast port", () => {
  it("is the Socket.IO server with one line changed: the import of Server", () => {
    const original = source("server.js");
    const ported = source("server-roomcast.js");
    expect(ported).toHaveLength(original.length);
    const changed = original.flatMap((line, i) => (line === ported[i] ? [] : [{ line: i + 1, from: line, to: ported[i] }]));
    expect(changed).toEqual([
      {
        line: expect.any(Number),
        from: 'import { Server } from "socket.io";',
        to: 'import { Server } from "@roomcast/core/socket.io";',
      },
    ]);
  });
});
