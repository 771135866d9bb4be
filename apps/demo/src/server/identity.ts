import { createHash } from "node:crypto";

/**
 * The public user id of a tab's secret key. Only the tab knows the key, so only it can speak as
 * this user (and receive their direct messages) whichever node or session it comes back on;
 * everyone else sees the id, which reveals nothing of the key.
 */
export function userIdFromKey(key: string): string {
  return createHash("sha256").update(key).digest("base64url").slice(0, 16);
}
