import type { ChatCredentials } from "../shared/chat-events.js";

const KEY = "roomcast-demo-profile";

/**
 * Remembers this tab's nickname and colour across reloads. Session storage on purpose: a second
 * tab is a second person, which is how you try the chat on your own.
 */
export function loadProfile(): ChatCredentials | null {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) ?? "null") as Partial<ChatCredentials> | null;
    return saved && typeof saved.nickname === "string" && typeof saved.color === "string" ? { nickname: saved.nickname, color: saved.color } : null;
  } catch {
    return null;
  }
}

export function saveProfile(profile: ChatCredentials): void {
  try {
    sessionStorage.setItem(KEY, JSON.stringify(profile));
  } catch {}
}
