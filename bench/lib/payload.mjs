/** Every broadcast carries a 64-character string; latency runs put the send time at its start. */
export const PAYLOAD_BYTES = 64;

const FILLER = "x".repeat(PAYLOAD_BYTES);

export function fixedPayload() {
  return FILLER;
}

/** `ms` (monotonic clock, see nowMs) padded with filler to exactly 64 characters. */
export function stampedPayload(ms) {
  const stamp = ms.toFixed(4);
  return stamp + FILLER.slice(stamp.length + 1).padStart(PAYLOAD_BYTES - stamp.length, "|");
}

export function readStamp(payload) {
  return parseFloat(payload);
}
