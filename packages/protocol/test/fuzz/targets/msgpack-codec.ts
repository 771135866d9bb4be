import fc from "fast-check";
import { FROM_CLIENT, type Packet } from "@roomcast/protocol";
import { msgpackCodec } from "@roomcast/protocol/msgpack";
import {
  applyByteEdits,
  applyTweaks,
  type ByteEdit,
  byteEdit,
  clientWire,
  type DecoderTarget,
  editList,
  encodeMsgpack,
  fingerprint,
  MSGPACK_TOKENS,
  timed,
  type ValueTweak,
  valueTweak,
} from "@roomcast/fuzz";
import { checkPacket, errorOutcome, fail } from "../checks.js";

/** A client packet, tweaked as a value (with what only msgpack carries: NaN, -0, undefined), packed, then edited as bytes; or any bytes. */
export type MsgpackCase = { wire: unknown[]; tweaks: ValueTweak[]; edits: ByteEdit[] } | { raw: Uint8Array };

export const msgpackCase: fc.Arbitrary<MsgpackCase> = fc.oneof(
  { weight: 9, arbitrary: fc.record({ wire: clientWire({ namespaces: ["/", "/chat"] }), tweaks: editList(valueTweak(true), 3), edits: editList(byteEdit(MSGPACK_TOKENS), 3) }) },
  { weight: 1, arbitrary: fc.record({ raw: fc.uint8Array({ maxLength: 64 }) }) },
);

export function msgpackBytes(input: MsgpackCase): Uint8Array | undefined {
  if ("raw" in input) return input.raw;
  const bytes = encodeMsgpack(applyTweaks(input.wire, input.tweaks));
  return bytes === undefined ? undefined : applyByteEdits(bytes, input.edits);
}

/**
 * What the server does with a binary frame (`msgpackCodec.decode(bytes, FROM_CLIENT)`): a valid
 * packet holding only plain values (a Date from a msgpack timestamp at most), or a documented
 * ProtocolError. A decoded packet packs back to bytes that decode to the same packet.
 */
export const msgpackCodecTarget: DecoderTarget<MsgpackCase> = {
  kind: "decoder",
  name: "msgpack-codec",
  arbitrary: msgpackCase,
  check(input) {
    const bytes = msgpackBytes(input);
    if (bytes === undefined) return "not encodable";
    let packet: Packet;
    try {
      packet = timed(() => msgpackCodec.decode(bytes, FROM_CLIENT));
    } catch (err) {
      return errorOutcome(err);
    }
    const outcome = checkPacket(packet, FROM_CLIENT, true);
    const again = timed(() => msgpackCodec.decode(msgpackCodec.encode(packet), FROM_CLIENT));
    if (fingerprint(again) !== fingerprint(packet)) fail("a decoded packet does not survive encode + decode");
    return outcome;
  },
};
