import { describe, expect, it } from "vitest";
import {
  BULK_RUN_SCREEN,
  chartBars,
  initialSubscriptionsState,
  notificationTarget,
  parseSchedule,
  reduceSubscriptions,
  scheduleCode,
  toggle,
} from "./subscriptions";
import type { DeskEvent } from "../bindings";

const month = (m: number, cards: number) => ({ year: 2030, month: m, cards, monthly_revenue_yen: cards * 1000 });

describe("the expiry chart", () => {
  it("scales bars to the busiest month", () => {
    const bars = chartBars([month(1, 2), month(2, 4), month(3, 0)], 300, 100);
    expect(bars.map((b) => b.height)).toEqual([50, 100, 0]);
    expect(bars.every((b) => b.y + b.height === 100)).toBe(true);
    expect(bars[1].x).toBeGreaterThan(bars[0].x);
  });

  it("draws an empty chart without dividing by zero", () => {
    const bars = chartBars([month(1, 0), month(2, 0)], 200, 80);
    expect(bars.map((b) => b.height)).toEqual([0, 0]);
    expect(chartBars([], 200, 80)).toEqual([]);
  });
});

describe("schedules", () => {
  it("round-trips the backend's codes", () => {
    for (const code of ["off", "daily:9", "weekly:mon:18", "monthly:1:9", "monthly:31:0"]) {
      expect(scheduleCode(parseSchedule(code))).toBe(code);
    }
  });

  it("clamps out-of-range hours and days", () => {
    expect(scheduleCode({ kind: "monthly", day: 40, hour: 30 })).toBe("monthly:31:23");
    expect(scheduleCode({ kind: "daily", day: 1, hour: -2 })).toBe("daily:0");
  });

  it("reads unknown codes as off", () => {
    expect(parseSchedule("hourly").kind).toBe("off");
  });
});

describe("events", () => {
  const notification = {
    kind: "renewal_failed" as const,
    title: { ja: "t", en: "t" },
    body: { ja: "b", en: "b" },
    screen: "order",
    target_id: 7,
  };

  it("bumps the version on a failed renewal and the mail version on a queue change", () => {
    const s = reduceSubscriptions(initialSubscriptionsState, { type: "renewal_failed", notification });
    expect(s.version).toBe(1);
    expect(reduceSubscriptions(s, { type: "mail_queue_changed" }).mailVersion).toBe(1);
  });

  it("leads a click to the matching screen", () => {
    expect(notificationTarget(notification)).toEqual({ kind: "order", orderId: 7 });
    expect(notificationTarget({ ...notification, screen: "cards", target_id: null })).toEqual({ kind: "cards" });
    expect(notificationTarget({ ...notification, screen: "orders:near_deadline", target_id: null })).toEqual({
      kind: "nearDeadline",
    });
  });

  it("leads a finished bulk run's click to its run, and an unknown place nowhere", () => {
    expect(notificationTarget({ screen: BULK_RUN_SCREEN, target_id: 12 })).toEqual({ kind: "bulkRun", runId: 12 });
    expect(notificationTarget({ screen: BULK_RUN_SCREEN, target_id: null })).toEqual({ kind: "none" });
    expect(notificationTarget({ screen: "order", target_id: null })).toEqual({ kind: "none" });
    expect(notificationTarget({ screen: "later", target_id: 1 })).toEqual({ kind: "none" });
  });

  it("leaves the screen alone when a notification arrives (only a click opens one)", () => {
    const run = {
      run_id: 12,
      started_at: "2030-01-01T00:00:00Z",
      finished_at: "2030-01-01T00:01:00Z",
    } as Extract<DeskEvent, { type: "bulk_run_finished" }>["run"];
    for (const event of [
      { type: "bulk_run_finished", run },
      { type: "card_digest", notification },
      { type: "deadline_near", notification },
    ] as DeskEvent[]) {
      expect(reduceSubscriptions(initialSubscriptionsState, event)).toEqual(initialSubscriptionsState);
    }
  });
});

describe("selection", () => {
  it("toggles ids", () => {
    expect(toggle([1, 2], 3)).toEqual([1, 2, 3]);
    expect(toggle([1, 2, 3], 2)).toEqual([1, 3]);
  });
});
