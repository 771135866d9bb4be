import fc from "fast-check";
import { decodeServerJson, decodeServerPacket, FROM_SERVER, jsonCodec, type Packet, parseJsonFrame } from "@roomcast/protocol";
import { msgpackCodec } from "@roomcast/protocol/msgpack";
import {
  applyByteEdits,
  applyTextEdits,
  applyTweaks,
  type ByteEdit,
  byteEdit,
  type DecoderTarget,
  editList,
  encodeJson,
  encodeMsgpack,
  fingerprint,
  JSON_TOKENS,
  MSGPACK_TOKENS,
  serverWire,
  type TextEdit,
  textEdit,
  timed,
  type ValueTweak,
  valueTweak,
} from "@roomcast/fuzz";
import { checkPacket, errorOutcome, fail } from "../checks.js";

/** A server packet (CONNECTED with recovery fields, EVENT_AT…), tweaked, encoded in either codec, then edited. */
export type ServerPacketCase =
  | { codec: "json"; wire: unknown[]; tweaks: ValueTweak[]; edits: TextEdit[] }
  | { codec: "msgpack"; wire: unknown[]; tweaks: ValueTweak[]; edits: ByteEdit[] };

const wire = serverWire({ namespaces: ["/", "/chat"] });

export const serverPacketCase: fc.Arbitrary<ServerPacketCase> = fc.oneof(
  fc.record({ codec: fc.constant("json" as const), wire, tweaks: editList(valueTweak(false), 3), edits: editList(textEdit(JSON_TOKENS), 3) }),
  fc.record({ codec: fc.constant("msgpack" as const), wire, tweaks: editList(valueTweak(true), 3), edits: editList(byteEdit(MSGPACK_TOKENS), 3) }),
);

type Decoded = { packet: Packet } | { error: string };

function attempt(decode: () => Packet): Decoded {
  try {
    return { packet: timed(decode) };
  } catch (err) {
    return { error: errorOutcome(err) };
  }
}

/**
 * What a client does with a server's frame. JSON: the browser client's lighter path
 * (`decodeServerJson(text)`, and `decodeServerPacket` on a revived frame) must accept and return
 * exactly what the full validator (`jsonCodec.decode(text, FROM_SERVER)`) does, and fail with the
 * same code when it fails. msgpack: a valid packet of a type servers send, or a documented ProtocolError.
 */
export const serverPacketTarget: DecoderTarget<ServerPacketCase> = {
  kind: "decoder",
  name: "server-packet",
  arbitrary: serverPacketCase,
  check(input) {
    const value = applyTweaks(input.wire, input.tweaks);
    if (input.codec === "msgpack") {
      const bytes = encodeMsgpack(value);
      if (bytes === undefined) return "not encodable";
      const decoded = attempt(() => msgpackCodec.decode(applyByteEdits(bytes, input.edits), FROM_SERVER));
      return "error" in decoded ? `msgpack ${decoded.error}` : `msgpack ${checkPacket(decoded.packet, FROM_SERVER, true)}`;
    }
    const encoded = encodeJson(value);
    if (encoded === undefined) return "not encodable";
    const text = applyTextEdits(encoded, input.edits);
    const full = attempt(() => jsonCodec.decode(text, FROM_SERVER));
    for (const light of [attempt(() => decodeServerJson(text)), attempt(() => decodeServerPacket(parseJsonFrame(text)))]) {
      if ("error" in full || "error" in light) {
        if (!("error" in full && "error" in light) || full.error !== light.error) fail(`the client's decoder and the full one disagree: ${JSON.stringify([full, light].map((d) => ("error" in d ? d.error : "packet")))}`);
      } else if (fingerprint(light.packet) !== fingerprint(full.packet)) fail("the client's decoder returns another packet than the full one");
    }
    return "error" in full ? `json ${full.error}` : `json ${checkPacket(full.packet, FROM_SERVER)}`;
  },
};
