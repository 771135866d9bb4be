import { isUtf8 } from "node:buffer";
import fc from "fast-check";
import {
  applyTextEdits,
  type Base64Damage,
  base64Damage,
  editList,
  engineMessages,
  type FrameSpec,
  frameSpec,
  type LiveHarness,
  type LiveTarget,
  pollingBody,
  RESUME_PID,
  RESUME_POSITION,
  type SequenceEdit,
  sequenceEdit,
  SOCKETIO_TOKENS,
  type TextEdit,
  textEdit,
} from "@roomcast/fuzz";
import { decodeEnginePacket, decodePollingPayload, SocketIoDecoder } from "../../../src/dialect/socketio/index.js";
import { documented, fail } from "../checks.js";
import { expectDrained, expectSettled, FUZZ_EVENTS, FUZZ_LIMITS, FUZZ_NAMESPACES, type FuzzServer, startFuzzServer } from "../live/fuzz-server.js";
import { PollingPeer, SocketIoWsPeer } from "../live/socketio-peers.js";

/*
 * Socket.IO v5 over Engine.IO v4 against a live server (`socketio: true`), over WebSocket and over
 * long-polling. As for roomcast.v1, each case runs on a session of its own, ends as the decoders
 * predict, and leaves the server as it found it, with a healthy client still answered.
 */

const options = { namespaces: FUZZ_NAMESPACES, events: FUZZ_EVENTS, resume: true };
/* A case fails at its first bad message: a low rate of edits per frame lets most reach the handlers. */
const frames = fc.array(frameSpec(options, 0.05), { minLength: 1, maxLength: 5 });
/** At times, an EVENT sized around maxPayload: this many bytes past it (negative: under it). */
const sized = fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.integer({ min: -4, max: 4 }) });
const join = fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) });

export interface SocketIoWsCase {
  join: boolean;
  specs: FrameSpec[];
  sequence: SequenceEdit[];
  /** Messages (by index) sent in the other frame type: attachments as text, texts as binary. */
  flips: number[];
  sized: number | null;
}

export interface SocketIoPollingCase {
  join: boolean;
  posts: { specs: FrameSpec[]; sequence: SequenceEdit[]; damage: Base64Damage; edits: TextEdit[] }[];
  sized: number | null;
}

const wsCase: fc.Arbitrary<SocketIoWsCase> = fc.record({
  join,
  specs: frames,
  sequence: editList(sequenceEdit, 1, 0.1),
  flips: editList(fc.nat({ max: 16 }), 1, 0.1),
  sized,
});

const pollingCase: fc.Arbitrary<SocketIoPollingCase> = fc.record({
  join,
  posts: fc.array(
    fc.record({ specs: frames, sequence: editList(sequenceEdit, 1, 0.05), damage: base64Damage, edits: editList(textEdit(SOCKETIO_TOKENS), 2, 0.05) }),
    { minLength: 1, maxLength: 2 },
  ),
  sized,
});

/** `42["echo","xxx…"]` (with Engine.IO's "4" in front) of exactly `size` bytes. */
function sizedMessage(size: number): string {
  const empty = '42["echo",""]';
  return `42["echo","${"x".repeat(Math.max(0, size - empty.length))}"]`;
}

type EngineOutcome = "open" | { close: number } | { client: "closed" };

/**
 * What one Engine.IO packet does to a session, as the specifications and the decoder say: a
 * message goes through the Socket.IO decoder, pong and noop are nothing, close ends the session
 * on the client's request, and open, ping or upgrade from a client are protocol errors.
 */
function onEnginePacket(type: number, data: string | Buffer | undefined, decoder: SocketIoDecoder): EngineOutcome {
  if (type === 4) {
    try {
      decoder.add(data as string | Buffer);
    } catch (err) {
      return { close: documented(err).closeCode as number };
    }
    return "open";
  }
  if (type === 3 || type === 6) return "open";
  if (type === 1) return { client: "closed" };
  return { close: 1002 };
}

/** The session's fate over WebSocket: open, or the close code it ends with (1000 after a client's close packet). */
function predictWs(frames: readonly { data: Buffer; binary: boolean }[]): "open" | number {
  const decoder = new SocketIoDecoder();
  for (const { data, binary } of frames) {
    if (data.length > FUZZ_LIMITS.maxPayload) return 1009;
    if (!binary && !isUtf8(data)) return 1007;
    let packet;
    try {
      packet = decodeEnginePacket(binary ? data : data.toString(), binary);
    } catch (err) {
      return documented(err).closeCode as number;
    }
    const outcome = onEnginePacket(packet.type, packet.data, decoder);
    if (outcome !== "open") return "close" in outcome ? outcome.close : 1000;
  }
  return "open";
}

/** The answer each POST must get over long-polling, until the session ends. */
type PostOutcome = { status: 200 | 400 | 413; code?: string; ends: boolean };

function predictPost(body: string, decoder: SocketIoDecoder): PostOutcome {
  if (Buffer.byteLength(body) > FUZZ_LIMITS.maxPayload) return { status: 413, code: "ERR_MESSAGE_TOO_BIG", ends: true };
  // what the server reads: the body as UTF-8 (lone surrogates were replaced when it was sent)
  const text = Buffer.from(body).toString();
  let packets;
  try {
    packets = decodePollingPayload(text);
  } catch (err) {
    return { status: 400, code: documented(err).code, ends: true };
  }
  for (const packet of packets) {
    if (packet.type === 4) {
      try {
        decoder.add(packet.data);
      } catch (err) {
        return { status: 400, code: documented(err).code, ends: true };
      }
    } else if (onEnginePacket(packet.type, undefined, decoder) !== "open") {
      // Engine.IO answers the POST that carried a close, or a packet a client may not send, with
      // "ok", and ends the session (the next request gets 400)
      return { status: 200, ends: true };
    }
  }
  return { status: 200, ends: false };
}

const ANSWER_MS = 5000;

interface Harness {
  server: FuzzServer;
  wsBase: string;
  httpBase: string;
  baseline: ReturnType<FuzzServer["io"]["debugCounts"]>;
  /** Runs after each case: the server settled, the healthy client is answered, nothing was logged. */
  after(n: number): Promise<void>;
  /** A dropped session's pid and offset, for CONNECT payloads that ask to resume. */
  donor(): Promise<Map<string, string>>;
  stop(): Promise<void>;
}

async function startHarness(): Promise<Harness> {
  const server = await startFuzzServer(true);
  const wsBase = `ws://127.0.0.1:${server.port}/socket.io/`;
  const httpBase = `http://127.0.0.1:${server.port}/socket.io/`;
  const healthy = await SocketIoWsPeer.open(wsBase);
  const joined = healthy.next((text) => text.startsWith("40{"), ANSWER_MS);
  healthy.send("40");
  if (typeof (await joined) !== "string" || (await joined) === "timeout") fail("the healthy client could not join");
  const baseline = server.io.debugCounts();
  return {
    server,
    wsBase,
    httpBase,
    baseline,
    async after(n) {
      await expectSettled(server.io, baseline);
      const expected = `42["echo","healthy-${n}"`;
      const echoed = healthy.next((text) => text.startsWith(expected), ANSWER_MS);
      healthy.send(`42["echo","healthy-${n}"]`);
      if ((await echoed) === "timeout" || (await echoed) === "closed") fail("the healthy client got no echo after the case");
      if (healthy.badFrame !== undefined) fail(`the healthy client got an unreadable frame: ${healthy.badFrame}`);
      const trouble = server.takeTrouble();
      if (trouble !== undefined) fail(trouble);
    },
    async donor() {
      const peer = await SocketIoWsPeer.open(wsBase);
      const connected = peer.next((text) => text.startsWith("40{"), ANSWER_MS);
      // the "welcome" event is stamped: its last argument is the stream offset
      const welcome = peer.next((text) => text.startsWith('42["welcome"'), ANSWER_MS);
      peer.send("40");
      const reply = await connected;
      const event = await welcome;
      peer.send('42["join","donor-room"]');
      await peer.close();
      await expectSettled(server.io, baseline);
      const pid = typeof reply === "string" && reply.startsWith("40{") ? String((JSON.parse(reply.slice(2)) as { pid?: unknown }).pid ?? "") : "";
      const offset = typeof event === "string" && event.startsWith("42[") ? String((JSON.parse(event.slice(2)) as unknown[]).at(-1)) : "";
      return new Map([
        [RESUME_PID, pid],
        [RESUME_POSITION, offset],
      ]);
    },
    async stop() {
      try {
        await healthy.close();
        await expectDrained(server.io);
        const trouble = server.takeTrouble();
        if (trouble !== undefined) fail(trouble);
      } finally {
        await server.close();
      }
    },
  };
}

const mentionsResume = (specs: readonly FrameSpec[]): boolean =>
  specs.some((spec) => spec.kind === "packet" && JSON.stringify(spec.packet.data ?? null).match(/"\$(PID|POS)"/) !== null);

/** Over WebSocket: the session ends answered (probe: CONNECT to an unserved namespace) or closed with the predicted code. */
export const liveSocketIoWsTarget: LiveTarget<SocketIoWsCase> = {
  kind: "live",
  name: "live-socketio-ws",
  arbitrary: wsCase,
  async start(): Promise<LiveHarness<SocketIoWsCase>> {
    const harness = await startHarness();
    let serial = 0;
    return {
      async check(input) {
        const n = serial++;
        const replacements = mentionsResume(input.specs) ? await harness.donor() : new Map<string, string>();
        const messages = engineMessages(input.specs, input.sequence, replacements);
        const frames = messages.map((message) => ("text" in message ? { data: Buffer.from(message.text), binary: false } : { data: Buffer.from(message.bytes), binary: true }));
        for (const flip of input.flips) if (frames.length > 0) frames[flip % frames.length].binary = !frames[flip % frames.length].binary;
        if (input.sized !== null) frames.push({ data: Buffer.from(sizedMessage(FUZZ_LIMITS.maxPayload + input.sized)), binary: false });
        const probe = `/probe-${n}`;
        const all = [...frames, { data: Buffer.from(`40${probe},`), binary: false }];
        const expected = predictWs(input.join ? [{ data: Buffer.from("40"), binary: false }, ...all] : all);
        const peer = await SocketIoWsPeer.open(harness.wsBase);
        let actual: "open" | number;
        try {
          if (input.join) {
            const joined = peer.next((text) => text.startsWith("40{"), ANSWER_MS);
            peer.send("40");
            if ((await joined) === "timeout") fail("CONNECT to / was not answered");
          }
          const answered = peer.next((text) => text.startsWith(`44${probe},`), ANSWER_MS);
          for (const { data, binary } of all) peer.send(data, binary);
          const result = await answered;
          if (result === "timeout") fail("the server neither answered the probe nor closed the session");
          actual = result === "closed" ? (peer.closeCode as number) : "open";
          if (actual !== expected) fail(`the session ended ${actual === "open" ? "open" : `closed with ${actual}`}; expected ${expected === "open" ? "it to stay open" : `close code ${expected}`}`);
          if (peer.badFrame !== undefined) fail(`the server sent an unreadable frame: ${peer.badFrame}`);
        } finally {
          await peer.close();
        }
        await harness.after(n);
        return actual === "open" ? "open" : `closed ${actual}`;
      },
      stop: () => harness.stop(),
    };
  },
};

/** Over long-polling: every POST gets the predicted status and code; an ended session answers 400, a live one the probe. */
export const liveSocketIoPollingTarget: LiveTarget<SocketIoPollingCase> = {
  kind: "live",
  name: "live-socketio-polling",
  arbitrary: pollingCase,
  async start(): Promise<LiveHarness<SocketIoPollingCase>> {
    const harness = await startHarness();
    let serial = 0;
    return {
      async check(input) {
        const n = serial++;
        const replacements = input.posts.some((post) => mentionsResume(post.specs)) ? await harness.donor() : new Map<string, string>();
        const bodies = input.posts.map((post) => applyTextEdits(pollingBody(engineMessages(post.specs, post.sequence, replacements), post.damage), post.edits));
        if (input.sized !== null) bodies.push(sizedMessage(FUZZ_LIMITS.maxPayload + input.sized));
        const peer = await PollingPeer.open(harness.httpBase);
        const decoder = new SocketIoDecoder();
        let outcome = "open";
        let ended = false;
        if (input.join) {
          predictPost("40", decoder);
          if ((await peer.post("40")).status !== 200) fail("CONNECT to / was refused");
          for (let polls = 0; ; polls++) {
            if (polls > 20) fail("CONNECT to / was not answered");
            if ((await peer.get(ANSWER_MS)).packets.some((text) => text.startsWith("40{"))) break;
          }
        }
        // the probe (a CONNECT to an unserved namespace) goes through the decoder like any POST
        const probe = `/probe-${n}`;
        for (const body of [...bodies, `40${probe},`]) {
          const expected = predictPost(body, decoder);
          const reply = await peer.post(body);
          const code = reply.status === 200 ? undefined : (JSON.parse(reply.body) as { code?: unknown }).code;
          if (reply.status !== expected.status || code !== expected.code) {
            fail(`a POST was answered ${reply.status} ${String(code ?? reply.body.slice(0, 40))}; expected ${expected.status} ${expected.code ?? ""}`);
          }
          outcome = expected.code === undefined ? `${reply.status}` : `${reply.status} ${expected.code}`;
          if (expected.ends) {
            ended = true;
            break;
          }
        }
        if (ended) {
          const after = await peer.get(ANSWER_MS);
          if (after.status !== 400) fail(`the session went on after it should have ended (GET answered ${after.status})`);
        } else {
          for (let polls = 0; ; polls++) {
            if (polls > 20) fail("the server did not answer the probe");
            const poll = await peer.get(ANSWER_MS);
            if (poll.status !== 200) fail(`a GET of a live session was answered ${poll.status}`);
            if (poll.packets.some((text) => text.startsWith(`44${probe},`))) break;
          }
          await peer.post("1");
          outcome = `${outcome}, answered`;
        }
        if (peer.badFrame !== undefined) fail(`the server sent an unreadable payload: ${peer.badFrame}`);
        await harness.after(n);
        return outcome;
      },
      stop: () => harness.stop(),
    };
  },
};
