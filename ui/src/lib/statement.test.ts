import { describe, expect, it } from "vitest";
import type { ReconciledDeposit, StatementImport, StatementLineDto } from "./api";
import { lineTone, orderedLines, recordsSomething, statusKey } from "./statement";

const deposit = (over: Partial<ReconciledDeposit>): ReconciledDeposit => ({
  id: 0,
  method: "card",
  received_on: "2030-06-15",
  amount_yen: 16130,
  period: null,
  difference_yen: null,
  explanation: [],
  explained: false,
  implied_fee_rate: null,
  missing: [],
  imported: true,
  corrections: 0,
  ...over,
});

const period = {
  start: "2030-05-01",
  end: "2030-05-31",
  payment_date: "2030-06-15",
  captured_yen: 15000,
  captures: 2,
  refunded_yen: 0,
  refunds: 0,
  fee_yen: 540,
  transfer_fee_yen: 330,
  expected_yen: 14130,
  to_come: false,
};

const line = (n: number, over: Partial<StatementLineDto>): StatementLineDto => ({
  line: n,
  date: "2030/06/15",
  amount_yen: 1000,
  description: "",
  method: null,
  status: "not_gateway",
  reason: null,
  deposit: null,
  ...over,
});

const statement = (lines: StatementLineDto[]): StatementImport => ({
  path: "/tmp/s.csv",
  encoding: "shift_jis",
  token: "t",
  applied: false,
  import_id: null,
  lines,
  deposits: 0,
  recorded: 0,
  already: 0,
  matched: 0,
  unmatched: 0,
  differences: 0,
  other_lines: 0,
});

describe("statement import view", () => {
  it("names a line to record differently in a preview and after the import", () => {
    expect(statusKey("record", false)).toBe("statement.status.record");
    expect(statusKey("record", true)).toBe("statement.status.recorded");
    expect(statusKey("already_imported", true)).toBe("statement.status.already_imported");
    expect(statusKey("withdrawal", false)).toBe("statement.status.withdrawal");
  });

  it("tones an explained difference ok, an open one or no period as a warning, other lines muted", () => {
    expect(lineTone(line(1, { status: "record", deposit: deposit({ period, difference_yen: 0 }) }))).toBe("ok");
    expect(lineTone(line(1, { status: "record", deposit: deposit({ period, difference_yen: 2000, explained: true }) }))).toBe("ok");
    expect(lineTone(line(1, { status: "record", deposit: deposit({ period, difference_yen: -36 }) }))).toBe("warn");
    expect(lineTone(line(1, { status: "record", deposit: deposit({}) }))).toBe("warn");
    expect(lineTone(line(1, { status: "not_gateway" }))).toBe("muted");
    expect(lineTone(line(1, { status: "unreadable" }))).toBe("warn");
  });

  it("lists the gateway's deposits first, then every other line, none dropped", () => {
    const s = statement([
      line(4, { status: "withdrawal" }),
      line(5, { status: "record", deposit: deposit({}) }),
      line(6, { status: "not_gateway" }),
      line(7, { status: "already_imported", deposit: deposit({ id: 3 }) }),
    ]);
    expect(orderedLines(s).map((l) => l.line)).toEqual([5, 7, 4, 6]);
    expect(recordsSomething(s)).toBe(true);
    expect(recordsSomething(statement([line(7, { status: "already_imported", deposit: deposit({ id: 3 }) })]))).toBe(false);
  });
});
