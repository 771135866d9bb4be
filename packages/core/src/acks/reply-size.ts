/*
 * What a reply costs to keep, estimated the way it travels (about its JSON length; bytes count
 * their length), without encoding it. The walk stops as soon as the estimate passes `budget`, so
 * a huge or cyclic value costs no more than `budget` steps: every value visited adds at least one.
 */

/** Bytes a value is counted as when nothing better is known (a number, a Date, an unknown object). */
const SCALAR = 8;

/** Whether `reply` (an ack's arguments) is estimated at no more than `budget` bytes. */
export function replyFits(reply: readonly unknown[], budget: number): boolean {
  let left = budget;
  const work: unknown[] = [reply];
  while (work.length > 0) {
    const value = work.pop();
    if (typeof value === "string") left -= value.length + 2;
    else if (typeof value !== "object" || value === null) left -= value === undefined || value === null || typeof value === "boolean" ? 4 : SCALAR;
    else if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) left -= value.byteLength;
    else if (Array.isArray(value)) {
      left -= value.length + 1;
      for (let i = 0; i < value.length && left >= 0; i++) work.push(value[i]);
    } else if (value instanceof Date) left -= SCALAR;
    else {
      left -= 2;
      for (const key in value) {
        left -= key.length + 3;
        if (left < 0) break;
        work.push((value as Record<string, unknown>)[key]);
      }
    }
    if (left < 0) return false;
  }
  return true;
}
