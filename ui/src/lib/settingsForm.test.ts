import { describe, expect, it } from "vitest";
import {
  connectionTestInput,
  credentialsInput,
  emptyForm,
  fileDialogFor,
  hasSecrets,
  readinessLine,
  removal,
  settingsInput,
  validate,
} from "./settingsForm";

describe("validate", () => {
  it("accepts an empty sandbox form (nothing typed keeps what is stored)", () => {
    expect(validate(emptyForm(), false)).toEqual({});
  });
  it("needs a URL for the simulator, and real URLs", () => {
    expect(validate({ ...emptyForm(), environment: "simulator" }, false)).toEqual({
      custom_base_url: "settings.invalid.customUrlRequired",
    });
    expect(validate({ ...emptyForm(), environment: "simulator", custom_base_url: "127.0.0.1:18443" }, false)).toEqual({
      custom_base_url: "settings.invalid.url",
    });
    expect(validate({ ...emptyForm(), relay_url: "relay.example.jp" }, false)).toEqual({ relay_url: "settings.invalid.url" });
    expect(validate({ ...emptyForm(), environment: "simulator", custom_base_url: "https://127.0.0.1:18443" }, false)).toEqual({});
  });
  it("wants digits for the merchant ID", () => {
    expect(validate({ ...emptyForm(), merchant_id: "12a" }, false)).toEqual({ merchant_id: "settings.invalid.merchantId" });
    expect(validate({ ...emptyForm(), merchant_id: " 00000 " }, false)).toEqual({});
  });
  it("wants the passphrase with a certificate (typed or stored)", () => {
    const f = { ...emptyForm(), client_certificate_passphrase: "changeit" };
    expect(validate(f, false)).toEqual({ client_certificate_passphrase: "settings.invalid.passphraseWithoutCertificate" });
    expect(validate(f, true)).toEqual({});
  });
});

describe("inputs", () => {
  it("send only what was typed", () => {
    const f = { ...emptyForm(), connect_id: " test_connect ", connect_password: " pw with spaces " };
    expect(credentialsInput(f)).toEqual({
      merchant_id: null,
      connect_id: "test_connect",
      connect_password: " pw with spaces ",
      client_certificate_path: null,
      client_certificate_passphrase: null,
      hash_key: null,
      relay_token: null,
    });
    expect(hasSecrets(f)).toBe(true);
    expect(hasSecrets(emptyForm())).toBe(false);
  });
  it("send the custom URL only for the simulator", () => {
    const f = { ...emptyForm(), environment: "production" as const, custom_base_url: "https://x" };
    expect(settingsInput(f).custom_base_url).toBeNull();
    expect(settingsInput({ ...f, environment: "simulator" }).custom_base_url).toBe("https://x");
  });
  it("delete one secret with an empty string", () => {
    expect(removal("hash_key")).toEqual({ hash_key: "" });
    expect(removal("client_certificate")).toEqual({ client_certificate_path: "" });
  });
});

describe("fileDialogFor", () => {
  it("offers certificate files for the client certificate", () => {
    expect(fileDialogFor("client_certificate_path")).toEqual({
      title: "settings.choose.certificateTitle",
      filterName: "settings.choose.certificateFiles",
      extensions: ["pem", "crt", "p12", "pfx", "key"],
    });
  });
  it("offers PEM files for the simulator's CA", () => {
    const ca = fileDialogFor("custom_ca_path");
    expect(ca.title).toBe("settings.choose.caTitle");
    expect(ca.extensions).toEqual(["pem", "crt", "cer"]);
    expect(ca.extensions).not.toContain("p12");
  });
  it("names its extensions without dots, as the dialog wants them", () => {
    for (const choice of ["client_certificate_path", "custom_ca_path"] as const) {
      for (const ext of fileDialogFor(choice).extensions) expect(ext).toMatch(/^[a-z0-9]+$/);
    }
  });
});

describe("issue 15: the connection test tests what is on screen", () => {
  it("sends the form's unsaved values, a typed secret included", () => {
    const form = { ...emptyForm(), environment: "simulator" as const, custom_base_url: "https://127.0.0.1:1", connect_password: "typed" };
    const input = connectionTestInput(form);
    expect(input.settings.environment).toBe("simulator");
    expect(input.settings.custom_base_url).toBe("https://127.0.0.1:1");
    expect(input.credentials.connect_password).toBe("typed");
    expect(input.credentials.merchant_id).toBeNull();
  });

  it("never says 'ready' beside a failed test", () => {
    expect(readinessLine(true, { ok: false })).toEqual({ key: "settings.completeButFailed", tone: "warn" });
    expect(readinessLine(false, { ok: false }).key).toBe("settings.completeButFailed");
    expect(readinessLine(true, { ok: true })).toEqual({ key: "settings.completeAndTested", tone: "ok" });
    expect(readinessLine(true, null)).toEqual({ key: "settings.complete", tone: "ok" });
    expect(readinessLine(false, null)).toEqual({ key: "settings.incomplete", tone: "warn" });
  });
});
