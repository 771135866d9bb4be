import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startConformanceServer, type ConformanceServer } from "../../support/conformance-server.js";
import { EngineIoSocket, PollingSession, request, type Frame } from "../../support/engine-io-peer.js";
import { waitUntil } from "../../support/server.js";

/*
 * Random Engine.IO / Socket.IO input against a running Socket.IO endpoint. Each case opens a
 * session, sends a generated sequence, then a probe: a CONNECT to a namespace nobody serves,
 * which a live session always answers with CONNECT_ERROR. The case must end with that answer or
 * with the session closed; everything the server sent on the way must be well-formed; and a
 * healthy client on the same server must still get its echo after every case.
 */

/* Bounded twice: a number of cases, and a time budget that stops early on a slow machine. */
const RUNS = Number(process.env.ROOMCAST_FUZZ_RUNS ?? 120);
const TIME_LIMIT = Number(process.env.ROOMCAST_FUZZ_MS ?? 3000);
const CASE_WAIT = 1500;

let server: ConformanceServer;
let healthy: EngineIoSocket;
let probeCount = 0;
let echoCount = 0;

beforeAll(async () => {
  server = await startConformanceServer({ maxPayload: 64 * 1024 });
  healthy = await EngineIoSocket.joined(server.wsBase);
});
afterAll(async () => {
  healthy.close();
  await server.close();
});

/** The healthy client still gets its own echo, and nothing else. */
async function expectHealthy(): Promise<void> {
  const text = `healthy-${echoCount++}`;
  healthy.send(`42["message","${text}"]`);
  expect(await healthy.nextMessage()).toBe(`42["message-back","${text}"]`);
  expect(healthy.isClosed).toBe(false);
}

/** Server → client text must be an Engine.IO packet, and a message must hold a Socket.IO packet. */
function expectWellFormed(packet: string): void {
  expect(packet, JSON.stringify(packet)).toMatch(/^[0-6]/);
  if (packet[0] === "4") expect(packet, JSON.stringify(packet)).toMatch(/^4[0-6]/);
}

// ---- generators ----

const json = fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value));
const namespace = fc.constantFrom("", "/custom,", "/custom", "/", "/nope,", "/custom,/", ",");
const ackId = fc.oneof(fc.constant(""), fc.nat({ max: 1000 }).map(String), fc.constantFrom("abc", "-1", "99999999999"));

/** A Socket.IO packet's text: sometimes valid, often slightly off. */
const socketIoText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("0", "0/custom,", '0{"token":"t"}', "1", "1/custom,", "0/custom"),
  fc.tuple(fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }), ackId).map(([args, id]) => `2${id}${JSON.stringify(["message", ...args])}`),
  fc.tuple(fc.nat({ max: 1000 }), fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 })).map(([id, args]) => `2${id}${JSON.stringify(["message-with-ack", ...args])}`),
  fc.tuple(fc.integer({ min: 0, max: 9 }), namespace, ackId, json).map(([type, nsp, id, payload]) => `${type}${nsp}${id}${payload}`),
  fc.tuple(fc.constantFrom(5, 6), fc.integer({ min: 0, max: 12 }), namespace, ackId, json).map(([type, count, nsp, id, payload]) => `${type}${count}-${nsp}${id}${payload}`),
  fc.string({ maxLength: 30 }),
);

/** One WebSocket frame of an established session. */
const wsFrame: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  { weight: 6, arbitrary: socketIoText.map((text) => "4" + text) },
  { weight: 2, arbitrary: fc.constantFrom("3", "6", "2", "5", "0", "1", "2probe", "3probe", "7", "") },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 16 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);

/** One packet of a long-polling body, as it appears between separators. */
const pollingPacket: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: socketIoText.map((text) => "4" + text) },
  { weight: 2, arbitrary: fc.constantFrom("3", "6", "2", "5", "0", "1", "2probe", "7", "") },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 16 }).map((bytes) => "b" + Buffer.from(bytes).toString("base64")) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }).map((text) => "b" + text) },
);
/*
 * A random body rarely passes whole (about 2% of cases reached the probe's answer), so a quarter of
 * the bodies are noops the server takes: enough sessions then stay open past their bodies for the
 * answered path to be tested in every run, not only when chance allows.
 */
const pollingBody = fc.oneof(
  { weight: 3, arbitrary: fc.array(pollingPacket, { minLength: 1, maxLength: 5 }).map((packets) => packets.join("\x1e")) },
  { weight: 1, arbitrary: fc.constantFrom("6", "6\x1e6") },
);

// ---- one case per transport ----

async function webSocketCase(frames: (string | Uint8Array)[]): Promise<"answered" | "closed"> {
  const { socket } = await EngineIoSocket.session(server.wsBase);
  socket.autoPong = true;
  try {
    for (const frame of frames) socket.send(frame);
    const probe = `/probe-${probeCount++}`;
    socket.send(`40${probe},`);
    const deadline = Date.now() + CASE_WAIT;
    for (;;) {
      let frame: Frame;
      try {
        frame = await socket.next(Math.max(1, deadline - Date.now()));
      } catch (err) {
        if (socket.isClosed) return "closed";
        throw err;
      }
      if (typeof frame !== "string") continue; // an attachment of a binary event echoed back
      expectWellFormed(frame);
      if (frame.startsWith(`44${probe},{"message":`)) return "answered";
    }
  } finally {
    socket.close();
  }
}

async function pollingCase(bodies: string[]): Promise<"answered" | "closed"> {
  const session = await PollingSession.start(server.httpBase);
  let ended = false;
  for (const body of bodies) {
    const reply = await session.post(body);
    expect([200, 400, 413], reply.body).toContain(reply.status);
    if (reply.status === 200) {
      expect(reply.body).toBe("ok");
      continue;
    }
    expect(typeof JSON.parse(reply.body).code).toMatch(/string|number/);
    ended = true;
    break;
  }
  if (ended) {
    expect((await session.get()).status).toBe(400);
    return "closed";
  }
  const probe = `/probe-${probeCount++}`;
  if ((await session.post(`40${probe},`)).status !== 200) return "closed";
  const deadline = Date.now() + CASE_WAIT;
  while (Date.now() < deadline) {
    const poll = await session.get(Math.max(1, deadline - Date.now()));
    if (poll.status === 400) return "closed";
    expect(poll.status).toBe(200);
    const packets = poll.body.split("\x1e");
    for (const packet of packets) if (packet[0] !== "b") expectWellFormed(packet);
    if (packets.includes("1")) {
      expect((await session.get()).status).toBe(400);
      return "closed";
    }
    if (packets.some((packet) => packet.startsWith(`44${probe},{"message":`))) {
      await session.post("1");
      return "answered";
    }
    if (packets.includes("2")) await session.post("3");
  }
  throw new Error("the session neither answered the probe nor closed");
}

describe("Socket.IO endpoint under random input", () => {
  it("WebSocket sessions: every sequence ends answered or closed, and others are unaffected", async () => {
    const outcomes = { answered: 0, closed: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(wsFrame, { minLength: 1, maxLength: 8 }), async (frames) => {
        outcomes[await webSocketCase(frames)]++;
        await expectHealthy();
      }),
      // the first cases are each outcome's simplest, so both are reached however short the run
      { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT, markInterruptAsFailure: false, examples: [[["6"]], [["1"]]] },
    );
    // both outcomes are reached, or this test would not be testing much
    expect(outcomes.answered).toBeGreaterThan(0);
    expect(outcomes.closed).toBeGreaterThan(0);
  });

  it("long-polling sessions: every sequence of bodies ends answered or closed, and others are unaffected", async () => {
    const outcomes = { answered: 0, closed: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(pollingBody, { minLength: 1, maxLength: 3 }), async (bodies) => {
        outcomes[await pollingCase(bodies)]++;
        await expectHealthy();
      }),
      // the first cases are each outcome's simplest, so both are reached however short the run
      { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT, markInterruptAsFailure: false, examples: [[["6"]], [["1"]]] },
    );
    expect(outcomes.answered).toBeGreaterThan(0);
    expect(outcomes.closed).toBeGreaterThan(0);
  });

  it("random handshake requests are answered 200 or 400, never left hanging", async () => {
    const query = fc.record(
      {
        EIO: fc.constantFrom("4", "3", "5", "", "abc", "4.0"),
        transport: fc.constantFrom("polling", "websocket", "", "abc", "POLLING"),
        sid: fc.oneof(fc.constant("unknown"), fc.string({ maxLength: 8 })),
      },
      { requiredKeys: [] },
    );
    const method = fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH");
    await fc.assert(
      fc.asyncProperty(query, method, fc.string({ maxLength: 20 }), async (fields, verb, body) => {
        const reply = await request(`${server.httpBase}?${new URLSearchParams(fields as Record<string, string>)}`, {
          method: verb,
          body: verb === "GET" ? undefined : body,
        });
        expect([200, 400]).toContain(reply.status);
        if (reply.status === 200) expect(reply.body[0]).toBe("0");
        else expect(JSON.parse(reply.body)).toMatchObject({ code: expect.any(Number), message: expect.any(String) });
      }),
      { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT, markInterruptAsFailure: false },
    );
    await expectHealthy();
  });

  it("leaves no session behind once the fuzzed ones are gone", async () => {
    // handshakes opened above without joining close at connectTimeout; everything else is closed
    await waitUntil(() => server.io.engine.clientsCount === 1, 3000, `still ${server.io.engine.clientsCount} sessions`);
    await expectHealthy();
  });
});
