// The sync status (relay connected or not, "last event 3 min ago", heartbeats, polling
// fallback, problems) as lines for the home screen. Pure: `now` is passed in.
import type { Language, MessageKey, Vars } from "./i18n";
import { relativeTime } from "./relative";

export type SyncMode = "relay" | "polling" | "offline" | "not_configured";

/** The fields of the backend's `SyncStatus` this view uses. */
export interface SyncView {
  mode: SyncMode;
  relay_configured: boolean;
  relay_connected: boolean;
  last_event_at?: string | null;
  last_heartbeat_at?: string | null;
  last_poll_at?: string | null;
  missing_notices: number;
  quarantined: number;
}

export type SyncTone = "ok" | "warn" | "error" | "muted";

export interface SyncLine {
  testid: string;
  label: MessageKey | null;
  /** The value: a key with vars, or ready words (a relative time). */
  key?: MessageKey;
  vars?: Vars;
  words?: string;
  /** The instant a relative time is about (PayDesk's clock), for tests and tooltips. */
  at?: string;
  tone: SyncTone;
}

export function syncHeadline(s: SyncView): { key: MessageKey; tone: SyncTone } {
  switch (s.mode) {
    case "relay":
      return { key: "home.sync.mode.relay", tone: "ok" };
    case "polling":
      return { key: "home.sync.mode.polling", tone: s.relay_configured ? "warn" : "ok" };
    case "offline":
      return { key: "home.sync.mode.offline", tone: "error" };
    case "not_configured":
      return { key: "home.sync.mode.not_configured", tone: "muted" };
  }
}

function ago(at: string | null | undefined, now: number, language: Language): string | undefined {
  return at ? relativeTime(at, now, language) : undefined;
}

/** `now`: the window's clock; `skewMs`: PayDesk's clock minus the window's (the status's
 *  times are on PayDesk's clock), so a notification of 4 minutes ago never reads "in 4 min". */
export function syncLines(s: SyncView, now: number, language: Language, skewMs = 0): SyncLine[] {
  now = now + skewMs;
  const lines: SyncLine[] = [];
  if (s.mode === "not_configured") return lines;
  lines.push({
    testid: "sync-relay",
    label: "home.sync.relay",
    key: !s.relay_configured
      ? "home.sync.relay.none"
      : s.relay_connected
        ? "home.sync.relay.connected"
        : "home.sync.relay.disconnected",
    tone: !s.relay_configured ? "muted" : s.relay_connected ? "ok" : "warn",
  });
  const never = { key: "home.sync.never" as MessageKey };
  const event = ago(s.last_event_at, now, language);
  lines.push({
    testid: "sync-last-event",
    label: "home.sync.lastEvent",
    ...(event ? { words: event, at: s.last_event_at ?? undefined } : never),
    tone: "muted",
  });
  if (s.relay_configured) {
    const beat = ago(s.last_heartbeat_at, now, language);
    lines.push({ testid: "sync-heartbeat", label: "home.sync.heartbeat", ...(beat ? { words: beat } : never), tone: "muted" });
  }
  if (s.mode === "polling" || s.last_poll_at) {
    const poll = ago(s.last_poll_at, now, language);
    lines.push({ testid: "sync-poll", label: "home.sync.poll", ...(poll ? { words: poll } : never), tone: "muted" });
  }
  if (s.missing_notices > 0) {
    lines.push({ testid: "sync-missing", label: null, key: "home.sync.missing", vars: { n: s.missing_notices }, tone: "warn" });
  }
  if (s.quarantined > 0) {
    lines.push({ testid: "sync-quarantined", label: null, key: "home.sync.quarantined", vars: { n: s.quarantined }, tone: "error" });
  }
  return lines;
}
