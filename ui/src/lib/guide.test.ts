import { describe, expect, it } from "vitest";
import { gatewayInput, mailInput, notificationsInput, reachable, resumePage } from "./guide";
import { emptyForm } from "./settingsForm";

const todo = { gateway: "todo", notifications: "todo", mail: "todo" } as const;

describe("setup guide", () => {
  it("opens a step's page only after the step before it passed", () => {
    expect(reachable("gateway", todo)).toBe(true);
    expect(reachable("notifications", todo)).toBe(false);
    const gateway = { ...todo, gateway: "done" } as const;
    expect(reachable("notifications", gateway)).toBe(true);
    expect(reachable("mail", gateway)).toBe(false);
    const noRelay = { ...gateway, notifications: "not_used" } as const;
    expect(reachable("mail", noRelay)).toBe(true);
    expect(reachable("done", noRelay)).toBe(false);
    expect(reachable("done", { ...noRelay, mail: "not_used" })).toBe(true);
  });

  it("resumes at the first step still to do", () => {
    expect(resumePage(todo)).toBe("start");
    expect(resumePage({ ...todo, gateway: "done" })).toBe("notifications");
    expect(resumePage({ gateway: "todo", notifications: "done", mail: "todo" })).toBe("gateway");
    expect(resumePage({ gateway: "done", notifications: "not_used", mail: "done" })).toBe("done");
  });

  it("leaves the relay out of step 1 and sends only what was typed", () => {
    const form = { ...emptyForm(), merchant_id: " 123 ", connect_password: "pw", relay_url: "https://r", relay_token: "t" };
    const input = gatewayInput(form);
    expect(input.settings.relay_url).toBeNull();
    expect(input.credentials.relay_token).toBeNull();
    expect(input.credentials.merchant_id).toBe("123");
    expect(input.credentials.connect_password).toBe("pw");
    expect(input.credentials.connect_id).toBeNull();
  });

  it("sends no relay values without a relay", () => {
    const input = notificationsInput({ use_relay: false, relay_url: "https://r", relay_token: "t", hash_key: "" });
    expect(input).toEqual({ use_relay: false, relay_url: null, relay_token: null, hash_key: null });
  });

  it("reads the port as a number and drops a bad one", () => {
    const base = { host: "smtp.example.jp", port: "587", security: "starttls", username: "", password: "", from_address: "a@b.jp" } as const;
    expect(mailInput(base).port).toBe(587);
    expect(mailInput({ ...base, port: "abc" }).port).toBeNull();
    expect(mailInput(base).password).toBeNull();
  });
});
