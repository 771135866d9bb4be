import type { TimelineEntry } from "../chat-store.js";
import { el, formatTime } from "./element.js";

/** Missed messages listed at most; the rest are counted. */
const MAX_LISTED = 50;

/**
 * The panel above the timeline for what happened while this page was offline.
 *
 * MISSED MESSAGES: it lights up after every reconnect. When the server restored the session
 * (`socket.recovered`, connection-state recovery), the events it replays are listed here.
 * When it could not (a crashed node, offline longer than the server keeps sessions, or the history was trimmed),
 * the panel says so plainly instead of pretending nothing happened.
 */
export class MissedMessages {
  private offlineSince: number | null = null;
  private window: { from: number; to: number; recovered: boolean } | null = null;
  private missed: Array<{ where: string; entry: TimelineEntry }> = [];
  /** Messages that arrived between the drop and "connect": a recovery replays them before "connect". */
  private replayed: Array<{ where: string; entry: TimelineEntry }> = [];

  constructor(private readonly root: HTMLElement) {
    this.render();
  }

  /** The connection dropped; messages from now on may be missed. */
  wentOffline(at = Date.now()): void {
    if (this.offlineSince === null) this.offlineSince = at;
  }

  /** Connected again. `recovered` is the client's `socket.recovered`. */
  cameBack(recovered: boolean, at = Date.now()): void {
    if (this.offlineSince === null) return;
    this.window = { from: this.offlineSince, to: at, recovered };
    this.offlineSince = null;
    this.missed = recovered ? this.replayed : [];
    this.replayed = [];
    this.render();
  }

  /**
   * Offers each incoming message; those stamped inside the offline window were replayed by
   * recovery and are listed. (Server and page clocks are compared: fine on one machine.)
   */
  consider(where: string, entry: TimelineEntry): void {
    if (this.offlineSince !== null) {
      // still offline: this is the replay, which comes before "connect"
      this.replayed.push({ where, entry });
      if (this.replayed.length > 1000) this.replayed.shift();
      return;
    }
    const w = this.window;
    if (!w || !w.recovered || entry.at < w.from || entry.at > w.to) return;
    this.missed.push({ where, entry });
    this.render();
  }

  dismiss(): void {
    this.window = null;
    this.missed = [];
    this.render();
  }

  private render(): void {
    const w = this.window;
    this.root.hidden = w === null;
    if (!w) {
      this.root.replaceChildren();
      return;
    }
    const span = `${formatTime(w.from)}–${formatTime(w.to)}`;
    const close = el("button", { className: "dismiss", attrs: { title: "Dismiss" }, text: "×", on: { click: () => this.dismiss() } });
    this.root.dataset.recovered = String(w.recovered);
    if (!w.recovered) {
      this.root.replaceChildren(
        close,
        el("strong", { text: `Offline ${span}. ` }),
        "Messages sent meanwhile could not be restored: the server no longer had this session (its node crashed or restarted, the page was away too long, or the history was trimmed).",
      );
      return;
    }
    const listed = this.missed.slice(-MAX_LISTED);
    this.root.replaceChildren(
      close,
      el("strong", { text: `Missed while offline (${span}): ${this.missed.length}` }),
      el(
        "ul",
        { data: { testid: "missed-list" } },
        ...listed.map(({ where, entry }) => el("li", {}, el("span", { className: "hint", text: `${where} · ${formatTime(entry.at)} ` }), `${entry.from.nickname}: ${entry.text}`)),
      ),
    );
  }
}
