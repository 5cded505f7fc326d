import { describe, expect, it } from "vitest";
import { credentialsInput, emptyForm, hasSecrets, removal, settingsInput, validate } from "./settingsForm";

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
