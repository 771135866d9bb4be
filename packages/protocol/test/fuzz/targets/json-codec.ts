import fc from "fast-check";
import { FROM_CLIENT, jsonCodec, type Packet } from "@roomcast/protocol";
import {
  applyTextEdits,
  applyTweaks,
  clientWire,
  type DecoderTarget,
  editList,
  encodeJson,
  fingerprint,
  JSON_TOKENS,
  type TextEdit,
  textEdit,
  timed,
  type ValueTweak,
  valueTweak,
} from "@roomcast/fuzz";
import { checkPacket, errorOutcome, fail } from "../checks.js";

/** A client packet, tweaked as a value, encoded as JSON text, then edited as text; or any text at all. */
export type JsonCase = { wire: unknown[]; tweaks: ValueTweak[]; edits: TextEdit[] } | { raw: string };

export const jsonCase: fc.Arbitrary<JsonCase> = fc.oneof(
  { weight: 9, arbitrary: fc.record({ wire: clientWire({ namespaces: ["/", "/chat"] }), tweaks: editList(valueTweak(false), 3), edits: editList(textEdit(JSON_TOKENS), 3) }) },
  { weight: 1, arbitrary: fc.record({ raw: fc.oneof(fc.string({ maxLength: 64, unit: "binary" }), fc.json({ maxDepth: 3 })) }) },
);

export function jsonText(input: JsonCase): string | undefined {
  if ("raw" in input) return input.raw;
  const text = encodeJson(applyTweaks(input.wire, input.tweaks));
  return text === undefined ? undefined : applyTextEdits(text, input.edits);
}

/**
 * What the server does with a text frame (`jsonCodec.decode(text, FROM_CLIENT)`): a valid packet
 * of a type a client may send, or a documented ProtocolError. A decoded packet encodes back to
 * text that decodes to the same packet.
 */
export const jsonCodecTarget: DecoderTarget<JsonCase> = {
  kind: "decoder",
  name: "json-codec",
  arbitrary: jsonCase,
  check(input) {
    const text = jsonText(input);
    if (text === undefined) return "not encodable";
    let packet: Packet;
    try {
      packet = timed(() => jsonCodec.decode(text, FROM_CLIENT));
    } catch (err) {
      return errorOutcome(err);
    }
    const outcome = checkPacket(packet, FROM_CLIENT);
    const again = timed(() => jsonCodec.decode(jsonCodec.encode(packet), FROM_CLIENT));
    if (fingerprint(again, true) !== fingerprint(packet, true)) fail("a decoded packet does not survive encode + decode");
    return outcome;
  },
};
