// What became of e-mail the shop owner asked for, in plain words: sent, failed (with the
// server's error, in the shop owner's language, from the backend) or still waiting (and
// why). "Done" is said only for a mail the SMTP server accepted. Pure: no backend calls.
import type { AppError, MailReadinessDto, QueuedMailDto, SendRemindersReport } from "../bindings";
import type { MessageKey, Vars } from "./i18n";

export type MailTone = "ok" | "warn" | "error";

export interface MailLine {
  key: MessageKey;
  vars?: Vars;
  tone: MailTone;
  testid: string;
}

/** The warning shown before a mail is queued, or null when mail can go out. */
export function readinessWarning(r: MailReadinessDto | null | undefined): { key: MessageKey; error: AppError | null } | null {
  if (!r) return null;
  if (!r.configured) return { key: "mailTruth.notConfigured", error: null };
  if (r.last_failure) return { key: "mailTruth.lastFailed", error: r.last_failure };
  return null;
}

/** The lines after "send": one per outcome that happened, most serious first. */
export function reportLines(r: SendRemindersReport): MailLine[] {
  const lines: MailLine[] = [];
  if (r.failed > 0) lines.push({ key: "mailTruth.failed", vars: { n: r.failed }, tone: "error", testid: "mail-outcome-failed" });
  if (r.waiting > 0) lines.push({ key: "mailTruth.waiting", vars: { n: r.waiting }, tone: "warn", testid: "mail-outcome-waiting" });
  if (r.sent > 0) lines.push({ key: "mailTruth.sent", vars: { n: r.sent }, tone: "ok", testid: "mail-outcome-sent" });
  if (lines.length === 0) lines.push({ key: "mailTruth.none", tone: "warn", testid: "mail-outcome-none" });
  return lines;
}

/** Where one queued mail stands (the failed-renewal panel's "ask the buyer"). */
export function mailState(m: QueuedMailDto, readiness: MailReadinessDto | null | undefined): MailLine {
  switch (m.state) {
    case "sent":
      return { key: "mailTruth.one.sent", vars: { to: m.to }, tone: "ok", testid: "reminder-sent" };
    case "failed":
      return { key: "mailTruth.one.failed", vars: { to: m.to, n: m.attempts }, tone: "error", testid: "reminder-failed" };
    case "discarded":
      return { key: "mailTruth.one.discarded", vars: { to: m.to }, tone: "warn", testid: "reminder-discarded" };
    default:
      return {
        key: readiness && !readiness.configured ? "mailTruth.one.waitingNoSmtp" : "mailTruth.one.waiting",
        vars: { to: m.to },
        tone: "warn",
        testid: "reminder-waiting",
      };
  }
}

/** A failed mail's stored error (`[code] ja / en`) as an AppError for the error box. */
export function storedError(lastError: string | null | undefined): AppError | null {
  if (!lastError) return null;
  const m = /^\[([^\]]+)\] (.*?) \/ (.*)$/s.exec(lastError);
  if (!m) return { code: "smtp_failed", message: { ja: lastError, en: lastError }, action: null };
  return { code: m[1], message: { ja: m[2], en: m[3] }, action: null };
}
