import { timingSafeEqual } from "node:crypto";

// Accounts kept in memory to keep the example short; a real app stores password hashes.
const USERS = new Map([
  ["alice", "wonderland"],
  ["bob", "builder"],
]);

/** True when `username` has an account and `password` is its password (compared in constant time). */
export function passwordMatches(username: unknown, password: unknown): username is string {
  const expected = typeof username === "string" ? USERS.get(username) : undefined;
  if (expected === undefined || typeof password !== "string") return false;
  const [a, b] = [Buffer.from(expected), Buffer.from(password)];
  return a.length === b.length && timingSafeEqual(a, b);
}
