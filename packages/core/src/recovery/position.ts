/**
 * Stream positions, `"<epoch>:<offset>"`. The epoch names one history of a namespace's stream (a
 * store instance, or a Redis dataset); the offset orders packets inside it: a decimal counter in
 * memory, a stream id `"<ms>-<seq>"` in Redis. Neither part contains ":".
 */
export function formatPosition(epoch: string, offset: string | number): string {
  return `${epoch}:${offset}`;
}

/** `[epoch, offset]`, or undefined when `position` is not of the form `epoch:offset`. */
export function splitPosition(position: string): [string, string] | undefined {
  const colon = position.lastIndexOf(":");
  if (colon <= 0 || colon === position.length - 1) return undefined;
  return [position.slice(0, colon), position.slice(colon + 1)];
}

/** The numeric parts of an offset (`"12"` or `"1700000000000-3"`), or undefined when malformed. */
export function offsetParts(offset: string): [number, number] | undefined {
  const dash = offset.indexOf("-");
  const high = Number(dash === -1 ? offset : offset.slice(0, dash));
  const low = dash === -1 ? 0 : Number(offset.slice(dash + 1));
  if (!Number.isSafeInteger(high) || !Number.isSafeInteger(low) || high < 0 || low < 0) return undefined;
  return [high, low];
}

/**
 * Orders two positions of the same epoch: negative when `a` comes first. Undefined when the
 * epochs differ or either position is malformed: such positions cannot be compared.
 */
export function comparePositions(a: string, b: string): number | undefined {
  const pa = splitPosition(a);
  const pb = splitPosition(b);
  if (pa === undefined || pb === undefined || pa[0] !== pb[0]) return undefined;
  const oa = offsetParts(pa[1]);
  const ob = offsetParts(pb[1]);
  if (oa === undefined || ob === undefined) return undefined;
  return oa[0] - ob[0] || oa[1] - ob[1];
}
