import fc from "fast-check";
import { pack, unpack } from "msgpackr";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_ACK_ID } from "@roomcast/protocol";
import { startServer, type TestServer } from "../support/server.js";

/*
 * Generated input over real connections. Each case is sent on a reused connection, followed by a
 * probe (an event with ack). Either the probe is answered (the connection survived, and what the
 * case asked for was answered or ignored) or the connection closed with a documented code.
 */

const DOCUMENTED_CLOSE = [1002, 1003, 1007, 1009];
const MAX_PAYLOAD = 64 * 1024;
/* A few thousand cases here, on top of the ~12k the decoder fuzz test runs without a server. */
const RUNS = Number(process.env.ROOMCAST_FUZZ_RUNS ?? 2000);
const MSGPACK_RUNS = Math.round(RUNS / 4);
/* Connections opened ahead of time: most cases close theirs, and opening one is a round trip. */
const SPARES = 8;

type Frame = { data: string | Buffer; binary: boolean };
/** What a case must lead to: survive, close with exactly this code, or close with any documented code. */
type Expect = "survive" | "close-any" | number | "connect-error";
interface Case {
  kind: string;
  frames: Frame[];
  expect: Expect | "survive-or-close";
}

const text = (data: string): Frame => ({ data, binary: false });
const bin = (data: Buffer): Frame => ({ data, binary: true });

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { k: value };
  return value;
}

const jsonValue = fc.jsonValue({ maxDepth: 4 });
const ackId = fc.oneof(fc.integer({ min: 0, max: MAX_ACK_ID }), fc.constantFrom(0, 1, MAX_ACK_ID));

const cases: fc.Arbitrary<Case> = fc.oneof(
  // malformed text: anything goes, but only documented outcomes
  fc.string({ maxLength: 200 }).map((s) => ({ kind: "text", frames: [text(s)], expect: "survive-or-close" as const })),
  fc.json({ maxDepth: 3 }).map((s) => ({ kind: "json", frames: [text(s)], expect: "survive-or-close" as const })),
  // packet-shaped arrays with random fields: wrong types, unknown packet types
  fc
    .tuple(fc.oneof(fc.integer({ min: -3, max: 12 }), fc.string({ maxLength: 3 }), fc.constant(null)), fc.oneof(fc.constantFrom("/", "/nope", ""), fc.string({ maxLength: 8 }), fc.integer()), fc.array(jsonValue, { maxLength: 4 }))
    .map(([type, nsp, rest]) => ({ kind: "packet-shape", frames: [text(JSON.stringify([type, nsp, ...rest]))], expect: "survive-or-close" as const })),
  fc.integer({ min: 9, max: 1000 }).map((type) => ({ kind: "unknown-type", frames: [text(JSON.stringify([type, "/"]))], expect: 1002 })),
  // invalid UTF-8 in a text frame: ws refuses it
  fc.constantFrom(Buffer.from([0xff]), Buffer.from([0xc3, 0x28]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0x5b, 0x34, 0xf8, 0x5d])).map((b) => ({ kind: "bad-utf8", frames: [{ data: b, binary: false }], expect: 1007 })),
  // binary on a JSON connection
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => ({ kind: "binary-on-json", frames: [bin(Buffer.from(b))], expect: 1003 })),
  // msgpack-encoded packets still arrive as binary: the JSON connection refuses the frame type
  jsonValue.map((v) => ({ kind: "msgpack-on-json", frames: [bin(pack([4, "/", "ev", v]))], expect: 1003 })),
  // valid events with arbitrary arguments, for namespaces joined or not
  fc.tuple(fc.constantFrom("/", "/other", "/never"), fc.string({ maxLength: 20 }), fc.array(jsonValue, { maxLength: 5 })).map(([nsp, ev, args]) => ({
    kind: "event",
    frames: [text(JSON.stringify([4, nsp, ev, ...args]))],
    expect: ev === "" ? ("survive-or-close" as const) : ("survive" as const),
  })),
  // acks for ids the server never issued: ignored; ids out of range: 1002
  fc.tuple(ackId, fc.array(jsonValue, { maxLength: 3 })).map(([id, args]) => ({ kind: "ack-unknown", frames: [text(JSON.stringify([6, "/", id, ...args]))], expect: "survive" as const })),
  fc.oneof(fc.constantFrom(MAX_ACK_ID + 1, 2 ** 53, -1, 1.5, 1e300), fc.nat().map((n) => MAX_ACK_ID + 1 + n)).map((id) => ({ kind: "ack-huge", frames: [text(JSON.stringify([6, "/", id]))], expect: 1002 })),
  // deeply nested payloads: under the decoder's depth limit they pass, over it 1002
  fc.integer({ min: 1, max: 20 }).map((d) => ({ kind: "nested-ok", frames: [text(JSON.stringify([4, "/", "ev", nested(d)]))], expect: "survive" as const })),
  // Written as text: building the value and stringifying it would test the stack of this process.
  fc.integer({ min: 40, max: 500 }).map((d) => ({ kind: "nested-deep", frames: [text(`[4,"/","ev",${"[".repeat(d)}1${"]".repeat(d)}]`)], expect: 1002 })),
  fc.integer({ min: 5_000, max: 20_000 }).map((d) => ({ kind: "nested-huge", frames: [text(`[4,"/","ev",${"[".repeat(d)}1${"]".repeat(d)}]`)], expect: "close-any" as const })),
  // over maxPayload
  fc.integer({ min: MAX_PAYLOAD + 1, max: MAX_PAYLOAD * 2 }).map((n) => ({ kind: "oversize", frames: [text(JSON.stringify([4, "/", "ev", "x".repeat(n)]))], expect: 1009 })),
  // CONNECT to namespaces that do not exist
  fc.string({ minLength: 1, maxLength: 30 }).map((s) => ({ kind: "unknown-namespace", frames: [text(JSON.stringify([0, `/zz-${s}`]))], expect: "connect-error" as const })),
  // floods of CONNECTs: the namespace limit answers them, the connection survives
  fc.integer({ min: 10, max: 80 }).map((n) => ({
    kind: "connect-flood",
    frames: Array.from({ length: n }, (_, i) => text(JSON.stringify([0, i % 2 ? "/other" : `/flood-${i}`]))),
    expect: "survive" as const,
  })),
);

/** Cases for a msgpack connection: binary frames of arbitrary bytes and packet-shaped values, text frames. */
const msgpackCases: fc.Arbitrary<Case> = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((b) => ({ kind: "mp-bytes", frames: [bin(Buffer.from(b))], expect: "survive-or-close" as const })),
  fc
    .tuple(fc.oneof(fc.integer({ min: -3, max: 12 }), fc.string({ maxLength: 3 })), fc.oneof(fc.constantFrom("/", "/nope"), fc.string({ maxLength: 8 })), fc.array(fc.anything({ maxDepth: 3 }), { maxLength: 4 }))
    .map(([type, nsp, rest]) => ({ kind: "mp-packet-shape", frames: [bin(pack([type, nsp, ...rest]))], expect: "survive-or-close" as const })),
  fc.tuple(fc.string({ minLength: 1, maxLength: 20 }), fc.array(fc.anything({ maxDepth: 3 }), { maxLength: 4 })).map(([ev, args]) => ({
    kind: "mp-event",
    frames: [bin(pack([4, "/", ev, ...args]))],
    expect: "survive-or-close" as const,
  })),
  fc.string({ maxLength: 50 }).map((t) => ({ kind: "text-on-msgpack", frames: [text(t)], expect: 1003 })),
  fc.tuple(ackId, fc.array(jsonValue, { maxLength: 3 })).map(([id, args]) => ({ kind: "mp-ack-unknown", frames: [bin(pack([6, "/", id, ...args]))], expect: "survive" as const })),
  fc.integer({ min: 40, max: 300 }).map((d) => ({ kind: "mp-nested-deep", frames: [bin(pack([4, "/", "ev", nested(d)]))], expect: 1002 })),
);

/** A connection the fuzzer drives: sends frames, probes with an ack, reports closes. */
class FuzzConnection {
  closedWith: number | undefined;
  connectErrors = 0;
  private nextId = 1;
  private waiting: { id: number; resolve: (outcome: "acked" | "closed" | "silent") => void } | undefined;

  private constructor(
    readonly ws: WebSocket,
    private readonly msgpack: boolean,
  ) {
    ws.on("error", () => {});
    ws.on("message", (data: Buffer) => {
      const packet = (msgpack ? unpack(data) : JSON.parse(data.toString())) as unknown[];
      if (packet[0] === 7) this.sendPacket([7]);
      else if (packet[0] === 2) connectErrorsSeen.push(packet);
      else if (packet[0] === 6 && this.waiting && packet[2] === this.waiting.id) {
        const waiting = this.waiting;
        this.waiting = undefined;
        waiting.resolve("acked");
      }
    });
    ws.on("close", (code) => {
      this.closedWith = code;
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.resolve("closed");
    });
  }

  static async open(url: string, msgpack = false): Promise<FuzzConnection> {
    const ws = new WebSocket(url, [msgpack ? "roomcast.v1.msgpack" : "roomcast.v1.json"]);
    const conn = new FuzzConnection(ws, msgpack);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    conn.sendPacket([0, "/"]);
    return conn;
  }

  sendPacket(packet: unknown[]): void {
    this.ws.send(this.msgpack ? pack(packet) : JSON.stringify(packet), { binary: this.msgpack });
  }

  private leavesMainNamespace(frame: Frame): boolean {
    try {
      const packet = (frame.binary ? unpack(frame.data as Buffer) : JSON.parse(frame.data as string)) as unknown;
      return Array.isArray(packet) && packet.length === 2 && packet[0] === 3 && packet[1] === "/";
    } catch {
      return false;
    }
  }

  /** Sends the frames, then a probe; resolves when the probe is answered or the connection closed. */
  run(frames: Frame[]): Promise<"acked" | "closed" | "silent"> {
    return new Promise((resolve) => {
      if (this.closedWith !== undefined) return resolve("closed");
      const id = this.nextId++;
      // An open connection that never answers the probe is a failure of its own, not a close.
      const timer = setTimeout(() => resolve("silent"), 10_000);
      this.waiting = {
        id,
        resolve: (outcome) => {
          clearTimeout(timer);
          resolve(outcome);
        },
      };
      for (const frame of frames) this.ws.send(frame.data, { binary: frame.binary });
      // A generated DISCONNECT of "/" is legitimate: the socket left, so join again before probing.
      if (frames.some((frame) => this.leavesMainNamespace(frame))) this.sendPacket([0, "/"]);
      this.sendPacket([5, "/", id, "probe"]);
    });
  }
}

const connectErrorsSeen: unknown[][] = [];

describe("Live server fuzzing", () => {
  let server: TestServer;
  const crashes: unknown[] = [];
  const onCrash = (err: unknown): void => {
    crashes.push(err);
  };

  beforeAll(async () => {
    process.on("uncaughtException", onCrash);
    process.on("unhandledRejection", onCrash);
    server = await startServer({ maxPayload: MAX_PAYLOAD, maxNamespacesPerConnection: 8 });
    server.io.of("/other");
    server.io.on("connection", (socket) => {
      socket.on("probe", (ack: (ok: boolean) => void) => typeof ack === "function" && ack(true));
      socket.onAny(() => {});
    });
  });

  afterAll(async () => {
    process.off("uncaughtException", onCrash);
    process.off("unhandledRejection", onCrash);
    await server?.close();
  });

  async function fuzz(arbitrary: fc.Arbitrary<Case>, runs: number, msgpack: boolean, minKinds: number): Promise<void> {
    const bystander = await FuzzConnection.open(server.url, msgpack);
    expect(await bystander.run([])).toBe("acked");
    const spares: Promise<FuzzConnection>[] = [];
    const refill = (): void => {
      while (spares.length < SPARES) spares.push(FuzzConnection.open(server.url, msgpack));
    };
    const next = (): Promise<FuzzConnection> => {
      refill();
      const conn = spares.shift()!;
      refill();
      return conn;
    };
    let conn = await next();
    const outcomes = new Map<string, number>();
    let count = 0;
    await fc.assert(
      fc.asyncProperty(arbitrary, async (c) => {
        if (conn.closedWith !== undefined) conn = await next();
        const errorsBefore = connectErrorsSeen.length;
        const outcome = await conn.run(c.frames);
        expect(outcome, `${c.kind}: the server neither answered the probe nor closed`).not.toBe("silent");
        const key = `${c.kind}:${outcome === "closed" ? conn.closedWith : "ok"}`;
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        if (outcome === "closed") {
          expect(DOCUMENTED_CLOSE, `${c.kind} closed with ${conn.closedWith}`).toContain(conn.closedWith);
          if (typeof c.expect === "number") expect(conn.closedWith, c.kind).toBe(c.expect);
          expect(["survive", "connect-error"], `${c.kind} should not close`).not.toContain(c.expect);
        } else {
          expect(typeof c.expect === "number" || c.expect === "close-any", `${c.kind} should have closed`).toBe(false);
          if (c.expect === "connect-error") {
            const answer = connectErrorsSeen.at(-1) as unknown[];
            expect(connectErrorsSeen.length).toBe(errorsBefore + 1);
            expect(answer[3]).toMatchObject({ code: expect.stringMatching(/^ERR_(UNKNOWN_NAMESPACE|TOO_MANY_NAMESPACES)$/) });
          }
        }
        if (++count % 250 === 0) expect(await bystander.run([]), "bystander after " + count).toBe("acked");
        // Leave namespaces joined by floods so that later cases start from a fresh budget.
        if (c.kind === "connect-flood") conn.ws.close();
        if (c.kind === "connect-flood") await new Promise<void>((resolve) => conn.ws.once("close", () => resolve()));
      }),
      { numRuns: runs },
    );
    conn.ws.close();
    for (const spare of spares.splice(0)) (await spare).ws.close();
    expect(await bystander.run([])).toBe("acked");
    bystander.ws.close();
    expect(crashes).toEqual([]);
    // The server is still whole: no connection leaked once everyone is gone.
    const deadline = Date.now() + 5000;
    while (server.io.metrics.connections > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(server.io.debugCounts()).toMatchObject({ connections: 0, sockets: 0, rooms: 0, pendingNamespaces: 0, pendingAcks: 0 });
    // Every kind of case was exercised.
    const kinds = new Set([...outcomes.keys()].map((k) => k.split(":")[0]));
    expect(kinds.size).toBeGreaterThanOrEqual(minKinds);
  }

  it(`json: survives ${RUNS} generated cases, each ending in a documented code or answer; bystanders keep working`, () => fuzz(cases, RUNS, false, 14), 150_000);

  it(`msgpack: survives ${MSGPACK_RUNS} generated cases the same way`, () => fuzz(msgpackCases, MSGPACK_RUNS, true, 5), 150_000);
});
