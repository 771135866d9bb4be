import type { ChatUser, PresenceState } from "../../shared/chat-events.js";
import { el } from "./element.js";

/**
 * A person's picture: the first letter of their name on their colour. It is decoration (the name
 * is always written next to it), so screen readers skip it; the letter's ink is black or white,
 * whichever reads better on the colour.
 */
export function avatar(user: ChatUser, size: "small" | "normal" = "normal"): HTMLElement {
  const initial = [...user.nickname.trim()][0]?.toLocaleUpperCase() ?? "?";
  return el("span", {
    className: `avatar avatar-${size}`,
    attrs: { "aria-hidden": "true", style: `background:${user.color};color:${inkOn(user.color)}` },
    text: initial,
  });
}

const PRESENCE_TEXT: Record<PresenceState, string> = { online: "online", away: "away, may be back soon" };

/**
 * A presence indicator, only ever shown where the state is known: a filled green dot for online,
 * a hollow amber ring for away, each with its state in words for screen readers and on hover.
 */
export function presenceIndicator(state: PresenceState): HTMLElement {
  return el(
    "span",
    { className: "presence", data: { presence: state, testid: "presence" }, attrs: { title: PRESENCE_TEXT[state] } },
    el("span", { className: "visually-hidden", text: PRESENCE_TEXT[state] }),
  );
}

/** Black or white, whichever contrasts more with `hex` (WCAG relative luminance). */
function inkOn(hex: string): string {
  const channels = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  const luminance = 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2];
  return (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) ? "#000" : "#fff";
}
