// The bank statement import's view logic (issue 21, point 3): what each line's status is
// called, how it is toned, and which lines the preview table shows first. Pure, tested in
// statement.test.ts.
import type { StatementImport, StatementLineDto, StatementLineStatusCode } from "./api";
import type { MessageKey } from "./i18n";

/** The message key of a line's status; "record" reads "to record" in a preview. */
export function statusKey(status: StatementLineStatusCode, applied: boolean): MessageKey {
  if (status === "record") return applied ? "statement.status.recorded" : "statement.status.record";
  return `statement.status.${status}` as MessageKey;
}

/** How a line is toned: a gateway deposit that matched and meets or is explained is ok,
 * one with an open difference or no period is a warning, a line that is not a gateway
 * deposit is muted (listed, never dropped). */
export function lineTone(line: StatementLineDto): "ok" | "warn" | "muted" {
  if (line.status === "unreadable") return "warn";
  if (!line.deposit) return "muted";
  const d = line.deposit;
  if (!d.period) return "warn";
  if (d.difference_yen === 0 || d.explained) return "ok";
  return "warn";
}

/** The gateway's deposits first (file order), then the other lines (file order). */
export function orderedLines(s: StatementImport): StatementLineDto[] {
  const gateway = s.lines.filter((l) => l.deposit !== null);
  const other = s.lines.filter((l) => l.deposit === null);
  return [...gateway, ...other];
}

/** Whether applying the preview would record anything new. */
export function recordsSomething(s: StatementImport): boolean {
  return s.lines.some((l) => l.status === "record" || l.status === "already_typed");
}
