import { describe, expect, it } from "vitest";
import { mailState, readinessWarning, reportLines, storedError } from "./mailOutcome";
import type { MailReadinessDto, QueuedMailDto, SendRemindersReport } from "../bindings";

const ready: MailReadinessDto = { configured: true, last_failure: null, last_failure_at: null, waiting: 0 };
const report = (sent: number, failed: number, waiting: number): SendRemindersReport => ({
  queued: sent + failed + waiting,
  sent,
  failed,
  waiting,
  problem: null,
  skipped: [],
});
const mail = (state: string): QueuedMailDto => ({
  id: 1,
  purpose: "reminder",
  reminder_kind: "expired",
  customer_id: "C1",
  subscription_id: 1,
  to: "a@example.jp",
  subject: "s",
  body: "b",
  state,
  attempts: 1,
  last_error: null,
  next_attempt_at: "2030-01-01T00:00:00Z",
  created_at: "2030-01-01T00:00:00Z",
  sent_at: null,
  order_id: null,
});

describe("issue 15: e-mail is 'done' only when sent", () => {
  it("warns before queueing when SMTP is not set up or last failed", () => {
    expect(readinessWarning(ready)).toBeNull();
    expect(readinessWarning({ ...ready, configured: false })?.key).toBe("mailTruth.notConfigured");
    const failure = { code: "smtp_unreachable", message: { ja: "接続できません", en: "no" }, action: null };
    expect(readinessWarning({ ...ready, last_failure: failure })).toEqual({ key: "mailTruth.lastFailed", error: failure });
  });

  it("says sent, failed and waiting apart, never 'queued' as if done", () => {
    expect(reportLines(report(2, 0, 0)).map((l) => [l.key, l.tone])).toEqual([["mailTruth.sent", "ok"]]);
    expect(reportLines(report(0, 1, 0)).map((l) => [l.key, l.tone])).toEqual([["mailTruth.failed", "error"]]);
    expect(reportLines(report(0, 0, 3)).map((l) => [l.key, l.tone])).toEqual([["mailTruth.waiting", "warn"]]);
    expect(reportLines(report(1, 1, 1)).map((l) => l.key)).toEqual(["mailTruth.failed", "mailTruth.waiting", "mailTruth.sent"]);
    expect(reportLines(report(0, 0, 0))[0].key).toBe("mailTruth.none");
  });

  it("states one mail's state, and why it waits", () => {
    expect(mailState(mail("sent"), ready).tone).toBe("ok");
    expect(mailState(mail("failed"), ready).key).toBe("mailTruth.one.failed");
    expect(mailState(mail("queued"), { ...ready, configured: false }).key).toBe("mailTruth.one.waitingNoSmtp");
    expect(mailState(mail("queued"), ready).key).toBe("mailTruth.one.waiting");
  });

  it("reads a failed mail's stored error back", () => {
    expect(storedError("[smtp_refused] 拒否しました / refused")).toEqual({
      code: "smtp_refused",
      message: { ja: "拒否しました", en: "refused" },
      action: null,
    });
    expect(storedError(null)).toBeNull();
  });
});
