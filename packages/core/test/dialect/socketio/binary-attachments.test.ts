import { describe, expect, it } from "vitest";
import { CloseCode, DEFAULT_DECODE_LIMITS, ErrorCode } from "@roomcast/protocol";
import { restoreAttachments } from "../../../src/dialect/socketio/binary-attachments.js";
import { expectProtocolError } from "./expect-protocol-error.js";

const placeholder = (num: number) => ({ _placeholder: true, num });

/** `depth` arrays around `inner`, built without recursion. */
function nest(depth: number, inner: unknown): unknown {
  let value = inner;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe("restoreAttachments", () => {
  it("puts each attachment where its placeholder was, in arrays and objects", () => {
    const a = Buffer.from([1]);
    const b = Buffer.from([2]);
    const data = ["upload", placeholder(1), { file: placeholder(0), list: [placeholder(1)] }];
    expect(restoreAttachments(data, [a, b])).toEqual(["upload", b, { file: a, list: [b] }]);
  });

  it("walks as deep as the decode limit allows, and no deeper, without overflowing the stack", () => {
    const bytes = Buffer.from([7]);
    // the argument list, then maxDepth levels of arguments
    const deepest = nest(DEFAULT_DECODE_LIMITS.maxDepth, placeholder(0));
    const restored = restoreAttachments(deepest, [bytes]);
    let inner = restored;
    for (let i = 0; i < DEFAULT_DECODE_LIMITS.maxDepth; i++) inner = (inner as unknown[])[0];
    expect(inner).toBe(bytes);
    expectProtocolError(() => restoreAttachments(nest(DEFAULT_DECODE_LIMITS.maxDepth + 2, 0), [bytes]), ErrorCode.INVALID_PACKET, CloseCode.PROTOCOL_ERROR);
    expectProtocolError(() => restoreAttachments(nest(100_000, placeholder(0)), [bytes]), ErrorCode.INVALID_PACKET, CloseCode.PROTOCOL_ERROR);
    expectProtocolError(() => restoreAttachments(nest(3, 0), [], 2), ErrorCode.INVALID_PACKET, CloseCode.PROTOCOL_ERROR);
  });
});
