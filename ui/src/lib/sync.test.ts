import { describe, expect, it } from "vitest";
import { syncHeadline, syncLines, type SyncView } from "./sync";
import { translate } from "./i18n";

const now = Date.parse("2026-12-01T12:00:00Z");
const relay: SyncView = {
  mode: "relay",
  relay_configured: true,
  relay_connected: true,
  last_event_at: "2026-12-01T11:57:00Z",
  last_heartbeat_at: "2026-12-01T11:59:50Z",
  last_poll_at: null,
  missing_notices: 0,
  quarantined: 0,
};

function show(s: SyncView, lang: "ja" | "en" = "en") {
  return syncLines(s, now, lang).map((l) => [
    l.label ? translate(lang, l.label) : null,
    l.words ?? translate(lang, l.key!, l.vars),
  ]);
}

describe("sync lines", () => {
  it("say the relay is connected and when the last event came", () => {
    expect(show(relay)).toEqual([
      ["Relay", "connected"],
      ["Last event", "3 min ago"],
      ["Last heartbeat", "just now"],
    ]);
    expect(show(relay, "ja")[1]).toEqual(["最後の決済通知", "3分前"]);
    expect(syncHeadline(relay).tone).toBe("ok");
  });
  it("say when PayDesk fell back to polling and what is missing or suspicious", () => {
    const s: SyncView = {
      ...relay,
      mode: "polling",
      relay_connected: false,
      last_poll_at: "2026-12-01T11:59:00Z",
      missing_notices: 2,
      quarantined: 1,
    };
    expect(show(s)).toEqual([
      ["Relay", "not connected"],
      ["Last event", "3 min ago"],
      ["Last heartbeat", "just now"],
      ["Last poll", "1 min ago"],
      [null, "Fetching 2 missed notifications"],
      [null, "1 notifications failed verification and were set aside (possible forgery)"],
    ]);
    expect(syncHeadline(s)).toEqual({ key: "home.sync.mode.polling", tone: "warn" });
  });
  it("poll without a relay is normal, and says 'none yet' before any event", () => {
    const s: SyncView = { ...relay, mode: "polling", relay_configured: false, relay_connected: false, last_event_at: null, last_heartbeat_at: null };
    expect(show(s)).toEqual([
      ["Relay", "not set up"],
      ["Last event", "none yet"],
      ["Last poll", "none yet"],
    ]);
    expect(syncHeadline(s).tone).toBe("ok");
  });
  it("shows nothing but the headline when not configured", () => {
    expect(syncLines({ ...relay, mode: "not_configured" }, now, "en")).toEqual([]);
  });
});

describe("issue 15: a notification of 4 minutes ago is never 'in 4 min'", () => {
  it("measures against PayDesk's clock when it runs ahead of the window's (the demo's simulator)", () => {
    // PayDesk's clock is an hour ahead; its last event came 4 minutes before its now.
    const hour = 3_600_000;
    const ahead: SyncView = { ...relay, last_event_at: new Date(now + hour - 4 * 60_000).toISOString(), last_heartbeat_at: null };
    const lines = syncLines(ahead, now, "ja", hour);
    expect(lines.find((l) => l.testid === "sync-last-event")?.words).toBe("4分前");
  });
});
