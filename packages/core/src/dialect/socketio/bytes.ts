/**
 * True for the values Socket.IO sends as binary: `Buffer`, any other `ArrayBuffer` view
 * (typed arrays, `DataView`) and `ArrayBuffer` itself.
 */
export function isBinary(value: unknown): value is ArrayBuffer | ArrayBufferView {
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer;
}

/** The same bytes as a Node `Buffer`, sharing memory with `value` rather than copying it. */
export function asBuffer(value: ArrayBuffer | ArrayBufferView): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}
