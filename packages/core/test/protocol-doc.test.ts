import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { afterEach, describe, expect, it } from "vitest";
import { Server } from "@roomcast/core";

/**
 * Executes docs/PROTOCOL.md's worked example: the server code block runs as written (only the
 * import line is dropped and the port is made ephemeral), and a bare `ws` client sends each `>`
 * frame and expects each `<` frame, byte for byte except the generated socket ids.
 */
const doc = readFileSync(fileURLToPath(new URL("../../../docs/PROTOCOL.md", import.meta.url)), "utf8");
const example = doc.slice(doc.indexOf("## Worked example session"));
const serverCode = /```js\n(import \{ Server \}[\s\S]*?)```/.exec(example)?.[1];
const session = /```session\n([\s\S]*?)```/.exec(example)?.[1];

function frameMatcher(expected: string): RegExp {
  const escaped = expected.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${escaped.replaceAll("\\$SID", '[A-Za-z0-9_-]+')}$`);
}

let io: Server | undefined;
afterEach(async () => {
  await io?.close();
  io = undefined;
});

describe("docs/PROTOCOL.md", () => {
  it("has an example server and session", () => {
    expect(serverCode).toBeDefined();
    expect(session?.split("\n").filter(Boolean).length).toBeGreaterThan(10);
  });

  it("runs its worked example session against a real server", async () => {
    const body = serverCode!
      .replace(/^import .*$/m, "")
      .replace("new Server(3000)", "new Server(0)");
    io = new Function("Server", `${body}\nreturn io;`)(Server) as Server;
    await new Promise((resolve) => io!.httpServer!.listening ? resolve(null) : io!.httpServer!.once("listening", resolve));
    const { port } = io.httpServer!.address() as AddressInfo;

    const ws = new WebSocket(`ws://127.0.0.1:${port}/roomcast`, "roomcast.v1.json");
    const inbox: string[] = [];
    let wake: (() => void) | undefined;
    ws.on("message", (data) => {
      const text = data.toString();
      if (text === "[7]") return void ws.send("[7]"); // heartbeats are answered, as the doc's console snippet does
      inbox.push(text);
      wake?.();
    });
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    expect(ws.protocol).toBe("roomcast.v1.json");

    const next = async (): Promise<string> => {
      const deadline = Date.now() + 3000;
      while (inbox.length === 0) {
        if (Date.now() > deadline) throw new Error("no frame from the server within 3 s");
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
      }
      return inbox.shift()!;
    };

    for (const line of session!.split("\n").filter(Boolean)) {
      const frame = line.slice(2);
      if (line.startsWith("> ")) ws.send(frame);
      else expect(await next(), line).toMatch(frameMatcher(frame));
    }
    // Nothing beyond what the doc shows.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(inbox).toEqual([]);
    ws.close();
  });
});
