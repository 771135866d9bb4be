import { afterEach, describe, expect, it } from "vitest";
import { PacketType } from "@roomcast/protocol";
import { startServer, type TestServer } from "../support/server.js";

/*
 * Over-deep and invalid frames over real connections: each closes its own connection with the
 * code docs/PROTOCOL.md gives (1002 over-deep, 1007 invalid payload), never by overflowing a
 * decoder's stack, and a bystander keeps working.
 */

const DEEP = 100_000;

/** msgpack EVENT [4, "/", "ev", <arg>]: the header bytes, then the argument's bytes. */
const msgpackEvent = (...arg: number[]): Buffer => Buffer.from([0x94, 0x04, 0xa1, 0x2f, 0xa2, 0x65, 0x76, ...arg]);

function msgpackNested(depth: number): Buffer {
  return Buffer.concat([msgpackEvent(), Buffer.alloc(depth, 0x91), Buffer.from([0x01])]);
}

describe("decoding limits on a live connection", () => {
  let server: TestServer;
  afterEach(() => server?.close());

  async function expectClose(protocol: "json" | "msgpack", frame: string | Buffer, code: number): Promise<void> {
    const received: unknown[][] = [];
    server.io.on("connection", (socket) =>
      socket.on("ev", (...args: unknown[]) => {
        const ack = args.at(-1);
        received.push(args.filter((arg) => typeof arg !== "function"));
        if (typeof ack === "function") ack("ok");
      }),
    );
    const bystander = await server.joined("/", { protocol });
    const client = await server.joined("/", { protocol });
    client.sendRaw(frame);
    const outcome = await Promise.race([client.closed, new Promise((resolve) => setTimeout(() => resolve("still open"), 3000))]);
    expect(outcome).toMatchObject({ code });
    expect(received).toEqual([]);
    // the bystander's connection is untouched
    bystander.emitWithId("/", 1, "ev", "still here");
    await bystander.waitFor((p) => p.type === PacketType.ACK && p.id === 1);
    expect(received).toEqual([["still here"]]);
    expect(server.io.metrics.protocolErrors).toBe(1);
  }

  it("json: an EVENT nested 100,000 deep with a $bin argument closes with 1002", async () => {
    server = await startServer();
    const frame = `[4,"/","ev",{"$bin":"AQID"},${"[".repeat(DEEP)}1${"]".repeat(DEEP)}]`;
    await expectClose("json", frame, 1002);
  });

  it("msgpack: an array nested 100,000 deep closes with 1002", async () => {
    server = await startServer();
    await expectClose("msgpack", msgpackNested(DEEP), 1002);
  });

  it("msgpack: a frame of the never-used byte 0xc1 closes with 1007", async () => {
    server = await startServer();
    await expectClose("msgpack", Buffer.from([0xc1]), 1007);
  });

  it("msgpack: 0xc1 as an event argument closes with 1007 instead of reaching the handler", async () => {
    server = await startServer();
    await expectClose("msgpack", msgpackEvent(0xc1), 1007);
  });

  it("msgpack: an extension type other than timestamp and undefined (msgpackr's Set) closes with 1007", async () => {
    server = await startServer();
    await expectClose("msgpack", msgpackEvent(0xd4, 0x73, 0x00, 0x91, 0x01), 1007);
  });
});
