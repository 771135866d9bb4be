import { isUtf8 } from "node:buffer";
import fc from "fast-check";
import { FROM_CLIENT } from "@roomcast/protocol";
import {
  applyByteEdits,
  applyTextEdits,
  applyTweaks,
  type ByteEdit,
  byteEdit,
  clientWire,
  clone,
  editList,
  encodeJson,
  encodeMsgpack,
  JSON_TOKENS,
  type LiveHarness,
  type LiveTarget,
  mentions,
  MSGPACK_TOKENS,
  RESUME_PID,
  RESUME_POSITION,
  substitute,
  type TextEdit,
  textEdit,
  type ValueTweak,
  valueTweak,
} from "@roomcast/fuzz";
import { documented, fail } from "../checks.js";
import { expectDrained, expectSettled, FUZZ_EVENTS, FUZZ_LIMITS, FUZZ_NAMESPACES, startFuzzServer } from "../live/fuzz-server.js";
import { CODECS, type CodecName, frameOf, RoomcastPeer, type WireFrame } from "../live/roomcast-peer.js";

/** One frame of a case: a generated packet (tweaked, edited), the other codec's frame, raw bytes, or a frame sized around maxPayload. */
export type LiveFrame =
  | { kind: "packet"; wire: unknown[]; tweaks: ValueTweak[]; text: TextEdit[]; bytes: ByteEdit[] }
  | { kind: "foreign"; wire: unknown[] }
  | { kind: "raw"; bytes: Uint8Array; binary: boolean }
  | { kind: "sized"; extra: number };

export interface LiveRoomcastCase {
  /** Join "/" first, so that events reach the handlers. */
  join: boolean;
  frames: LiveFrame[];
}

function liveCase(codec: CodecName): fc.Arbitrary<LiveRoomcastCase> {
  const binary = codec === "msgpack";
  const wire = clientWire({ namespaces: FUZZ_NAMESPACES, events: FUZZ_EVENTS, resume: true });
  const frame: fc.Arbitrary<LiveFrame> = fc.oneof(
    {
      weight: 40,
      arbitrary: fc.record({
        kind: fc.constant("packet" as const),
        wire,
        // a case fails at its first bad frame: a low rate per frame lets most cases reach the handlers
        tweaks: editList(valueTweak(binary), 2, 0.15),
        text: binary ? fc.constant<TextEdit[]>([]) : editList(textEdit(JSON_TOKENS), 2, 0.08),
        bytes: fc.oneof({ weight: binary ? 8 : 20, arbitrary: fc.constant<ByteEdit[]>([]) }, { weight: 1, arbitrary: fc.array(byteEdit(binary ? MSGPACK_TOKENS : []), { minLength: 1, maxLength: 2 }) }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("foreign" as const), wire }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("raw" as const), bytes: fc.uint8Array({ maxLength: 24 }), binary: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("sized" as const), extra: fc.integer({ min: -4, max: 4 }) }) },
  );
  return fc.record({ join: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }), frames: fc.array(frame, { minLength: 1, maxLength: 5 }) });
}

/** An EVENT whose frame is exactly `size` bytes in `codec`. */
function sizedFrame(codec: CodecName, size: number): WireFrame {
  let pad = size;
  let frame = frameOf([4, "/", "echo", ""], codec);
  // the string header of msgpack grows with the string: two rounds settle it
  for (let round = 0; round < 3 && frame.data.length !== size; round++) {
    pad = Math.max(0, pad + size - frame.data.length);
    frame = frameOf([4, "/", "echo", "x".repeat(pad)], codec);
  }
  return frame;
}

function encode(frame: LiveFrame, codec: CodecName, replacements: ReadonlyMap<string, string>): WireFrame | undefined {
  switch (frame.kind) {
    case "raw":
      return { data: Buffer.from(frame.bytes), binary: frame.binary };
    case "sized":
      return sizedFrame(codec, FUZZ_LIMITS.maxPayload + frame.extra);
    case "foreign":
      return frameOf(substitute(clone(frame.wire), replacements) as unknown[], codec === "json" ? "msgpack" : "json");
    case "packet": {
      const value = applyTweaks(substitute(clone(frame.wire), replacements), frame.tweaks);
      if (codec === "msgpack") {
        const bytes = encodeMsgpack(value);
        return bytes === undefined ? undefined : { data: Buffer.from(applyByteEdits(bytes, frame.bytes)), binary: true };
      }
      const text = encodeJson(value);
      return text === undefined ? undefined : { data: Buffer.from(applyByteEdits(Buffer.from(applyTextEdits(text, frame.text)), frame.bytes)), binary: false };
    }
  }
}

/** What the server must do with these frames, from the spec and the decoder: stay open, or close with this code. */
function predict(frames: readonly WireFrame[], codec: CodecName): "open" | number {
  for (const frame of frames) {
    if (frame.data.length > FUZZ_LIMITS.maxPayload) return 1009;
    if (!frame.binary && !isUtf8(frame.data)) return 1007;
    try {
      CODECS[codec].decode(frame.binary ? frame.data : frame.data.toString(), FROM_CLIENT);
    } catch (err) {
      return documented(err).closeCode as number;
    }
  }
  return "open";
}

const ANSWER_MS = 5000;

/**
 * roomcast.v1 over WebSocket against a live server. Each case opens a connection, sends its
 * frames and a probe (CONNECT to an unserved namespace, always answered while the connection
 * lives). The connection must end as the decoder predicts: answered, or closed with the close
 * code of the first bad frame (1009 past maxPayload, 1007 for invalid UTF-8). Then: every frame
 * the server sent decodes, the server's counts return to their baseline, a healthy client on the
 * same server gets its ack, and the process logged no error.
 */
export function liveRoomcastTarget(codec: CodecName): LiveTarget<LiveRoomcastCase> {
  return {
    kind: "live",
    name: `live-${codec}`,
    arbitrary: liveCase(codec),
    async start(): Promise<LiveHarness<LiveRoomcastCase>> {
      const server = await startFuzzServer(false);
      const url = `ws://127.0.0.1:${server.port}/roomcast`;
      const healthy = await RoomcastPeer.open(url, codec);
      const joined = healthy.next((packet) => packet.type === 1, ANSWER_MS);
      healthy.sendWire([0, "/"]);
      if ((await joined) === "timeout") fail("the healthy client could not join");
      const baseline = server.io.debugCounts();
      let serial = 0;

      /** A session that dropped, for resume requests to name: its pid and position. */
      const donor = async (): Promise<Map<string, string>> => {
        const peer = await RoomcastPeer.open(url, codec);
        const connected = peer.next((packet) => packet.type === 1 && packet.nsp === "/", ANSWER_MS);
        peer.sendWire([0, "/"]);
        const reply = await connected;
        peer.sendWire([4, "/", "join", "donor-room"]);
        await peer.close();
        await expectSettled(server.io, baseline);
        const info = typeof reply === "object" && reply.type === 1 ? reply.info : undefined;
        return new Map([
          [RESUME_PID, String(info?.pid ?? "")],
          [RESUME_POSITION, String(info?.position ?? "")],
        ]);
      };

      return {
        async check(input) {
          const n = serial++;
          const wants = input.frames.some((frame) => (frame.kind === "packet" || frame.kind === "foreign") && mentions(frame.wire, [RESUME_PID, RESUME_POSITION]));
          const replacements = wants ? await donor() : new Map<string, string>();
          const frames = input.frames.map((frame) => encode(frame, codec, replacements)).filter((frame) => frame !== undefined);
          const expected = predict(frames, codec);
          const peer = await RoomcastPeer.open(url, codec);
          try {
            if (input.join) {
              const connected = peer.next((packet) => packet.type === 1 && packet.nsp === "/", ANSWER_MS);
              peer.sendWire([0, "/"]);
              if ((await connected) === "timeout") fail("CONNECT to / was not answered");
            }
            const probe = `/probe-${n}`;
            const answered = peer.next((packet) => packet.type === 2 && packet.nsp === probe, ANSWER_MS);
            for (const frame of frames) peer.send(frame);
            peer.sendWire([0, probe]);
            const result = await answered;
            if (result === "timeout") fail("the server neither answered the probe nor closed the connection");
            const actual = result === "closed" ? (peer.closeCode as number) : "open";
            if (actual !== expected) fail(`the connection ended ${actual === "open" ? "open" : `closed with ${actual}`}; expected ${expected === "open" ? "it to stay open" : `close code ${expected}`}`);
            if (peer.badFrame !== undefined) fail(`the server sent a frame its client cannot decode: ${peer.badFrame}`);
          } finally {
            await peer.close();
          }
          await expectSettled(server.io, baseline);
          const id = n + 1;
          const acked = healthy.next((packet) => packet.type === 6 && packet.id === id, ANSWER_MS);
          healthy.sendWire([5, "/", id, "echo", `healthy-${n}`]);
          if (typeof (await acked) !== "object") fail("the healthy client got no ack after the case");
          const trouble = server.takeTrouble();
          if (trouble !== undefined) fail(trouble);
          return label(expected);
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
    },
  };
}

function label(outcome: "open" | number): string {
  return outcome === "open" ? "open" : `closed ${outcome}`;
}
