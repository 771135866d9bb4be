import type { TimelineEntry } from "../chat-store.js";
import { el, formatTime } from "./element.js";

/** Missed messages listed at most; the rest are counted. */
const MAX_LISTED = 50;
/** Replayed messages remembered while offline, at most. */
const MAX_REPLAYED = 1000;

interface Gap {
  from: number;
  to: number;
  recovered: boolean;
  previousNode: string | null;
  node: string | null;
}

/**
 * The panel above the timeline for what happened while this page was offline. It shows only
 * when there is something to say:
 *
 * - the server kept the session (`socket.recovered`) and replayed messages sent meanwhile: they
 *   are listed (and are in the timeline too). Nothing replayed, no panel.
 * - the server started a fresh session: what was sent meanwhile cannot be replayed. The page
 *   reloads each room's recent history into the timeline, so the panel says what happened and
 *   how many messages the reload brought, without listing them a second time. Direct messages
 *   the server kept for this person until their page confirmed them arrive right after the
 *   reconnect: those are listed.
 */
export class MissedMessages {
  private offlineSince: number | null = null;
  private gap: Gap | null = null;
  private missed: Array<{ where: string; entry: TimelineEntry }> = [];
  /** Messages that arrive before "connect" are the replay of a recovered session. */
  private replayed: Array<{ where: string; entry: TimelineEntry }> = [];
  private reloaded = 0;

  constructor(private readonly root: HTMLElement) {
    this.render();
  }

  /** The connection dropped; messages from now on may be missed. */
  wentOffline(at = Date.now()): void {
    if (this.offlineSince === null) this.offlineSince = at;
  }

  get offline(): boolean {
    return this.offlineSince !== null;
  }

  /** Since when the page was offline, while it still is, or during the last gap. */
  get gapStart(): number | undefined {
    return this.offlineSince ?? this.gap?.from;
  }

  /** Connected again. `recovered` is the client's `socket.recovered`; the replay (if any) is over. */
  cameBack(recovered: boolean, at = Date.now()): void {
    if (this.offlineSince === null) return;
    this.gap = { from: this.offlineSince, to: at, recovered, previousNode: null, node: null };
    this.offlineSince = null;
    this.missed = recovered ? this.replayed : [];
    this.replayed = [];
    this.reloaded = 0;
    this.render();
  }

  /** The node that served the page before the gap, and the one that serves it now. */
  servedBy(previousNode: string | null, node: string | null): void {
    if (!this.gap) return;
    this.gap.previousNode = previousNode;
    this.gap.node = node;
    this.render();
  }

  /** A message arrived; while offline it is part of a recovery's replay. */
  consider(where: string, entry: TimelineEntry): void {
    if (this.offlineSince === null) return;
    this.replayed.push({ where, entry });
    if (this.replayed.length > MAX_REPLAYED) this.replayed.shift();
  }

  /**
   * A direct message the server kept until this page confirms it, sent again right after the
   * reconnect: listed, whatever kind of session it was (a recovered one replays the rest).
   */
  addKept(where: string, entry: TimelineEntry): void {
    if (this.offlineSince !== null) return this.consider(where, entry);
    if (!this.gap) return;
    this.missed = [...this.missed, { where, entry }].slice(-MAX_REPLAYED);
    this.render();
  }

  /** After a fresh session: the reloaded history of a room brought `count` messages sent during the gap. */
  addReloaded(count: number): void {
    if (!this.gap || this.gap.recovered) return;
    this.reloaded += count;
    this.render();
  }

  dismiss(): void {
    this.gap = null;
    this.missed = [];
    this.render();
  }

  private render(): void {
    const gap = this.gap;
    const visible = gap !== null && (!gap.recovered || this.missed.length > 0);
    this.root.hidden = !visible;
    if (!gap || !visible) {
      this.root.replaceChildren();
      delete this.root.dataset.recovered;
      return;
    }
    const span = `${formatDuration(gap.to - gap.from)}, until ${formatTime(gap.to)}`;
    const close = el("button", {
      className: "btn btn-small btn-quiet dismiss",
      attrs: { type: "button", "aria-label": "Dismiss this notice" },
      text: "Dismiss",
      on: { click: () => this.dismiss() },
    });
    this.root.dataset.recovered = String(gap.recovered);
    if (!gap.recovered) {
      const cause =
        gap.previousNode && gap.node && gap.previousNode !== gap.node
          ? `The server you were on (${gap.previousNode}) stopped answering, so ${gap.node} took over with a new session.`
          : `The server${gap.node ? ` (${gap.node})` : ""} no longer had this page's session (it restarted, or the page was away too long), so it started a new one.`;
      const reloaded = this.reloaded === 0 ? "Recent room messages were reloaded; none came in meanwhile." : `Recent room messages were reloaded, ${this.reloaded} of them new.`;
      const kept = this.missed.length === 0 ? [] : [el("p", { text: "Direct messages kept for you:" }), this.list()];
      this.root.replaceChildren(el("p", {}, el("strong", { text: `You were offline for ${span}. ` }), cause), el("p", { text: reloaded }), ...kept, close);
      return;
    }
    const count = this.missed.length === 1 ? "1 message" : `${this.missed.length} messages`;
    this.root.replaceChildren(el("p", {}, el("strong", { text: `While you were away (${span}): ${count}` })), this.list(), close);
  }

  private list(): HTMLElement {
    return el(
      "ul",
      { data: { testid: "missed-list" } },
      ...this.missed
        .slice(-MAX_LISTED)
        .map(({ where, entry }) => el("li", {}, el("span", { className: "hint", text: `${where} · ${formatTime(entry.at)} ` }), `${entry.from.nickname}: ${entry.text}`)),
    );
  }
}

function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 1) return "less than a second";
  if (seconds < 90) return seconds === 1 ? "1 second" : `${seconds} seconds`;
  return `${Math.round(seconds / 60)} minutes`;
}
