//! Settings: non-secret values in the store's settings table, secrets in the OS keychain
//! (and nowhere else), the Paygent client and relay client built from both, and the
//! connection test.

use base64::Engine as _;
use paygent_client::{Client, ClientConfig, ClientError, ClientIdentity, Endpoint};
use paygent_codec::dictionary::Category;
use paygent_codec::request::{PaymentInquiry, PaymentRef};
use paygent_codec::{CommonHeader, ErrorContext, Secret, explain};
use relay::client::DesktopClient;
use secrets::{SecretKey, Sensitive};

use crate::ErrorCode;
use crate::context::Context;
use crate::dto::{
    AppInfo, CaptureModeCode, ConnectionOutcomeCode, ConnectionTestInput, ConnectionTestResult,
    CredentialsInput, EnvironmentCode, KeychainStatus, Language, RelayTestResult, SecretsSet,
    Settings, SettingsInput, TestedValueDto,
};
use crate::{AppError, Build, Text, convert};

fn unsaved() -> Text {
    Text::new("画面の入力値（未保存）", "the screen's input (not saved)")
}

fn saved() -> Text {
    Text::new("保存済みの値", "the saved value")
}

/// Keys of the non-secret settings.
pub(crate) mod keys {
    pub const ENVIRONMENT: &str = "environment";
    pub const CUSTOM_BASE_URL: &str = "custom_base_url";
    /// The CA certificate (PEM, public) trusted for the custom URL.
    pub const CUSTOM_CA_PEM: &str = "custom_ca_pem";
    pub const RELAY_URL: &str = "relay_url";
    pub const SHOP_NAME: &str = "shop_name";
    pub const CAPTURE_MODE_FOR_NEW: &str = "capture_mode_for_new";
}

/// Which URL [`insecure_url`] refused.
#[derive(Debug, Clone, Copy)]
pub(crate) enum UrlKind {
    Relay,
    Gateway,
}

/// A URL that would send a secret (the desktop token, the connect password) in clear:
/// plain `http://` to another computer. Refused when saved and when used.
pub(crate) fn insecure_url(kind: UrlKind) -> AppError {
    let (what_ja, what_en, secret_ja, secret_en) = match kind {
        UrlKind::Relay => ("中継サーバー", "relay", "端末トークン", "desktop token"),
        UrlKind::Gateway => (
            "ゲートウェイ",
            "gateway",
            "接続パスワード",
            "connect password",
        ),
    };
    AppError::of(ErrorCode::InsecureUrl)
        .with_each("what", what_ja, what_en)
        .with_each("secret", secret_ja, secret_en)
        .into()
}

/// The relay client's limits from the rules table (shortened in tests with the stall).
fn relay_limits(divisor: u32) -> relay::client::Limits {
    let duration = |d: chrono::TimeDelta| d.to_std().unwrap_or_default() / divisor.max(1);
    relay::client::Limits {
        connect_timeout: duration(domain::RULES.relay_connect_timeout),
        request_timeout: duration(domain::RULES.relay_request_timeout),
        max_answer_bytes: domain::RULES.relay_max_answer_bytes,
        max_line_bytes: domain::RULES.relay_max_line_bytes,
    }
}

fn environment_code(value: Option<&str>) -> EnvironmentCode {
    match value {
        Some("sandbox") => EnvironmentCode::Sandbox,
        Some("production") => EnvironmentCode::Production,
        Some("simulator") => EnvironmentCode::Simulator,
        // A fresh install talks to nothing real until the shop owner says so.
        _ => EnvironmentCode::Sandbox,
    }
}

fn environment_str(code: EnvironmentCode) -> &'static str {
    match code {
        EnvironmentCode::Simulator => "simulator",
        EnvironmentCode::Sandbox => "sandbox",
        EnvironmentCode::Production => "production",
    }
}

fn read_file(path: &str, what_ja: &str, what_en: &str) -> Result<Vec<u8>, AppError> {
    crate::files::read_user_file(
        std::path::Path::new(path),
        crate::files::UserFile::Certificate,
        &format!("{what_ja}の"),
        &format!("{what_en} "),
    )
}

/// The certificate file's content as stored in the keychain: PEM text as is, anything
/// else (PKCS#12) as base64.
pub(crate) fn certificate_for_keychain(content: &[u8]) -> String {
    match std::str::from_utf8(content) {
        Ok(text) if text.contains("-----BEGIN ") => text.to_owned(),
        _ => base64::engine::general_purpose::STANDARD.encode(content),
    }
}

fn identity_from_keychain(
    stored: &Sensitive<String>,
    passphrase: Option<Secret>,
) -> Result<ClientIdentity, AppError> {
    let text = stored.expose();
    if text.contains("-----BEGIN ") {
        return Ok(ClientIdentity::Pem {
            pem: text.as_bytes().to_vec(),
            passphrase,
        });
    }
    let der = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| {
            AppError::from(secrets::SecretsError::Damaged {
                account: SecretKey::ClientCertificate.account(),
            })
        })?;
    Ok(ClientIdentity::Pkcs12 {
        der,
        passphrase: passphrase.unwrap_or_else(|| Secret::new(String::new())),
    })
}

pub(crate) fn setting(cx: &Context, key: &str) -> Result<Option<String>, AppError> {
    Ok(cx.store().setting(key)?.filter(|v| !v.is_empty()))
}

pub(crate) fn capture_mode_for_new(cx: &Context) -> domain::CaptureMode {
    match setting(cx, keys::CAPTURE_MODE_FOR_NEW)
        .ok()
        .flatten()
        .as_deref()
    {
        Some("authorize_and_capture") => domain::CaptureMode::AuthorizeAndCapture,
        _ => domain::CaptureMode::AuthorizeOnly,
    }
}

fn secret(cx: &Context, key: SecretKey) -> Result<Option<Sensitive<String>>, AppError> {
    Ok(cx
        .inner
        .keychain
        .read(key)?
        .filter(|v| !v.expose().is_empty()))
}

pub(crate) fn get_settings(cx: &Context) -> Result<Settings, AppError> {
    let environment = environment_code(setting(cx, keys::ENVIRONMENT)?.as_deref());
    let custom_base_url = setting(cx, keys::CUSTOM_BASE_URL)?;
    let custom_ca_set = setting(cx, keys::CUSTOM_CA_PEM)?.is_some();
    let relay_url = setting(cx, keys::RELAY_URL)?;
    let shop_name = setting(cx, keys::SHOP_NAME)?;
    let capture_mode_for_new = convert::capture_mode_to(capture_mode_for_new(cx));
    let (secrets, keychain_problem) = match secrets_set(cx) {
        Ok(s) => (s, None),
        Err(e) => (
            SecretsSet {
                merchant_id: false,
                connect_id: false,
                connect_password: false,
                client_certificate: false,
                client_certificate_passphrase: false,
                hash_key: false,
                relay_token: false,
            },
            Some(e),
        ),
    };
    let endpoint_ok = environment != EnvironmentCode::Simulator || custom_base_url.is_some();
    let complete = endpoint_ok
        && secrets.merchant_id
        && secrets.connect_id
        && secrets.connect_password
        && (secrets.client_certificate || environment == EnvironmentCode::Simulator);
    Ok(Settings {
        environment,
        custom_base_url,
        custom_ca_set,
        relay_url,
        shop_name,
        capture_mode_for_new,
        secrets,
        complete,
        keychain_problem,
    })
}

fn secrets_set(cx: &Context) -> Result<SecretsSet, AppError> {
    let has = |key| secret(cx, key).map(|v| v.is_some());
    Ok(SecretsSet {
        merchant_id: has(SecretKey::MerchantId)?,
        connect_id: has(SecretKey::ConnectId)?,
        connect_password: has(SecretKey::ConnectPassword)?,
        client_certificate: has(SecretKey::ClientCertificate)?,
        client_certificate_passphrase: has(SecretKey::ClientCertificatePassphrase)?,
        hash_key: has(SecretKey::HashKey)?,
        relay_token: has(SecretKey::RelayToken)?,
    })
}

pub(crate) fn save_settings_input(cx: &Context, input: SettingsInput) -> Result<(), AppError> {
    let ca = match input.custom_ca_path.as_deref() {
        Some("") => Some(String::new()),
        Some(path) => {
            let pem = read_file(path, "CA証明書", "CA certificate")?;
            let text = String::from_utf8(pem)
                .ok()
                .filter(|t| t.contains("-----BEGIN CERTIFICATE-----"))
                .ok_or_else(|| AppError::of(ErrorCode::CaNotPem))?;
            Some(text)
        }
        None => None,
    };
    if let Some(url) = input
        .relay_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(AppError::of(ErrorCode::InvalidRelayUrl).into());
        }
        if relay::client::check_url(url).is_err() {
            return Err(insecure_url(UrlKind::Relay));
        }
    }
    if let Some(url) = input
        .custom_base_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        && paygent_client::check_base_url(url).is_err()
    {
        return Err(insecure_url(UrlKind::Gateway));
    }
    {
        let mut store = cx.store();
        if let Some(env) = input.environment {
            store.set_setting(keys::ENVIRONMENT, environment_str(env))?;
        }
        let mut set = |key: &str, value: Option<String>| -> Result<(), store::Error> {
            match value {
                Some(v) => store.set_setting(key, v.trim()),
                None => Ok(()),
            }
        };
        set(keys::CUSTOM_BASE_URL, input.custom_base_url)?;
        set(keys::CUSTOM_CA_PEM, ca)?;
        set(keys::RELAY_URL, input.relay_url)?;
        set(keys::SHOP_NAME, input.shop_name)?;
        set(
            keys::CAPTURE_MODE_FOR_NEW,
            input.capture_mode_for_new.map(|m| {
                match m {
                    CaptureModeCode::AuthorizeOnly => "authorize_only",
                    CaptureModeCode::AuthorizeAndCapture => "authorize_and_capture",
                }
                .to_owned()
            }),
        )?;
    }
    cx.inner.clients.clear();
    tracing::info!("settings saved");
    Ok(())
}

pub(crate) fn save_credentials_input(
    cx: &Context,
    input: CredentialsInput,
) -> Result<(), AppError> {
    let certificate = match input.client_certificate_path.as_deref() {
        Some("") => Some(String::new()),
        Some(path) => Some(certificate_for_keychain(&read_file(
            path,
            "クライアント証明書",
            "client certificate",
        )?)),
        None => None,
    };
    let entries = [
        (SecretKey::MerchantId, input.merchant_id),
        (SecretKey::ConnectId, input.connect_id),
        (SecretKey::ConnectPassword, input.connect_password),
        (SecretKey::ClientCertificate, certificate),
        (
            SecretKey::ClientCertificatePassphrase,
            input.client_certificate_passphrase,
        ),
        (SecretKey::HashKey, input.hash_key),
        (SecretKey::RelayToken, input.relay_token),
    ];
    for (key, value) in entries {
        match value {
            None => {}
            Some(v) if v.trim().is_empty() => cx.inner.keychain.delete(key)?,
            Some(v) => {
                // IDs and passwords never carry surrounding spaces; a pasted newline would
                // make the gateway answer P002.
                let v = if key == SecretKey::ClientCertificate {
                    v
                } else {
                    v.trim().to_owned()
                };
                cx.inner.keychain.store(key, &Sensitive::new(v))?;
            }
        }
        tracing::info!(secret = key.account(), "keychain entry updated");
    }
    cx.inner.clients.clear();
    Ok(())
}

/// Saves the settings and wakes sync (a changed connection applies at once).
pub(crate) fn save_settings(cx: &Context, input: SettingsInput) -> Result<Settings, AppError> {
    save_settings_input(cx, input)?;
    cx.inner.sync.nudge();
    get_settings(cx)
}

/// Stores secrets in the OS keychain (and nowhere else), and wakes sync.
pub(crate) fn save_credentials(
    cx: &Context,
    input: CredentialsInput,
) -> Result<Settings, AppError> {
    save_credentials_input(cx, input)?;
    cx.inner.sync.nudge();
    get_settings(cx)
}

/// The Paygent client for the configured environment, built from the keychain.
pub(crate) fn gateway(cx: &Context) -> Result<Client, AppError> {
    let generation = {
        let cache = cx
            .inner
            .clients
            .gateway
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(client) = cache.0.clone() {
            return Ok(client);
        }
        cache.1
    };
    let client = build_gateway(cx)?;
    let mut cache = cx
        .inner
        .clients
        .gateway
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if cache.1 == generation {
        cache.0 = Some(client.clone());
    }
    Ok(client)
}

fn build_gateway(cx: &Context) -> Result<Client, AppError> {
    build_gateway_with(cx, None, &mut Vec::new())
}

/// A secret: the form's typed value for a test (used for that test only, never
/// stored), else the keychain's. Notes in `tested` which one was used.
fn secret_for_test(
    cx: &Context,
    key: SecretKey,
    typed: Option<&str>,
    label: Text,
    tested: &mut Vec<TestedValueDto>,
) -> Result<Option<Sensitive<String>>, AppError> {
    let typed = typed.map(str::trim).filter(|v| !v.is_empty());
    let (value, source) = match typed {
        Some(v) => (Some(Sensitive::new(v.to_owned())), unsaved()),
        None => match secret(cx, key)? {
            Some(v) => (Some(v), saved()),
            None => (None, Text::new("未設定", "not set")),
        },
    };
    tested.push(TestedValueDto {
        label,
        value: source,
    });
    Ok(value)
}

/// The Paygent client from the saved settings, or for a connection test from the
/// screen's values over the saved ones. `tested` receives what was used.
fn build_gateway_with(
    cx: &Context,
    form: Option<&ConnectionTestInput>,
    tested: &mut Vec<TestedValueDto>,
) -> Result<Client, AppError> {
    let settings = form.map(|f| &f.settings);
    let credentials = form.map(|f| &f.credentials);
    let environment = match settings.and_then(|s| s.environment) {
        Some(env) => env,
        None => environment_code(setting(cx, keys::ENVIRONMENT)?.as_deref()),
    };
    let typed_url = settings
        .and_then(|s| s.custom_base_url.as_deref())
        .map(str::trim)
        .filter(|u| !u.is_empty());
    let endpoint = match environment {
        EnvironmentCode::Sandbox => Endpoint::Sandbox,
        EnvironmentCode::Production => Endpoint::Production,
        EnvironmentCode::Simulator => {
            let url = match typed_url {
                Some(url) => url.to_owned(),
                None => setting(cx, keys::CUSTOM_BASE_URL)?.ok_or_else(AppError::not_configured)?,
            };
            // Checked here too: a typed value is not saved first, and a value saved
            // by an older version was never checked.
            if paygent_client::check_base_url(&url).is_err() {
                return Err(insecure_url(UrlKind::Gateway));
            }
            Endpoint::Custom(url)
        }
    };
    let (env_ja, env_en) = match environment {
        EnvironmentCode::Sandbox => ("試験環境（サンドボックス）", "sandbox"),
        EnvironmentCode::Production => ("本番環境", "production"),
        EnvironmentCode::Simulator => ("シミュレーター・独自URL", "simulator / custom URL"),
    };
    let url = endpoint
        .base_url(paygent_codec::TelegramKind::PaymentInquiry)
        .to_owned();
    tested.push(TestedValueDto {
        label: Text::new("接続先", "Gateway"),
        value: Text::new(&format!("{env_ja} {url}"), &format!("{env_en} {url}")),
    });
    let typed =
        |f: fn(&CredentialsInput) -> &Option<String>| credentials.and_then(|c| f(c).as_deref());
    let merchant_id = secret_for_test(
        cx,
        SecretKey::MerchantId,
        typed(|c| &c.merchant_id),
        Text::new("マーチャントID", "Merchant ID"),
        tested,
    )?;
    let connect_id = secret_for_test(
        cx,
        SecretKey::ConnectId,
        typed(|c| &c.connect_id),
        Text::new("接続ID", "Connect ID"),
        tested,
    )?;
    let password = secret_for_test(
        cx,
        SecretKey::ConnectPassword,
        typed(|c| &c.connect_password),
        Text::new("接続パスワード", "Connect password"),
        tested,
    )?;
    let certificate = match typed(|c| &c.client_certificate_path)
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        Some(path) => {
            tested.push(TestedValueDto {
                label: Text::new("クライアント証明書", "Client certificate"),
                value: Text::new(
                    &format!("{}（{path}）", unsaved().ja),
                    &format!("{} ({path})", unsaved().en),
                ),
            });
            Some(Sensitive::new(certificate_for_keychain(&read_file(
                path,
                "クライアント証明書",
                "client certificate",
            )?)))
        }
        None => secret_for_test(
            cx,
            SecretKey::ClientCertificate,
            None,
            Text::new("クライアント証明書", "Client certificate"),
            tested,
        )?,
    };
    let passphrase = {
        let typed = typed(|c| &c.client_certificate_passphrase).filter(|p| !p.is_empty());
        match typed {
            Some(p) => Some(Sensitive::new(p.to_owned())),
            None => secret(cx, SecretKey::ClientCertificatePassphrase)?,
        }
    };
    let (Some(merchant_id), Some(connect_id), Some(password)) = (merchant_id, connect_id, password)
    else {
        return Err(AppError::not_configured());
    };
    let header = CommonHeader::new(
        merchant_id.expose().clone(),
        connect_id.expose().clone(),
        password,
    );
    let mut config = ClientConfig::new(endpoint, header);
    if let Some(cert) = certificate {
        config.identity = Some(identity_from_keychain(&cert, passphrase)?);
    } else if environment != EnvironmentCode::Simulator {
        return Err(AppError::not_configured());
    }
    if environment == EnvironmentCode::Simulator {
        config.ca_pem = match settings
            .and_then(|s| s.custom_ca_path.as_deref())
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            Some(path) => Some(read_file(path, "CA証明書", "CA certificate")?),
            None => setting(cx, keys::CUSTOM_CA_PEM)?.map(String::into_bytes),
        };
    }
    if let Some(secs) = std::env::var("PAYDESK_GATEWAY_TIMEOUT_SECS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        config.timeout = std::time::Duration::from_secs(secs);
    }
    Client::new(config).map_err(|e| AppError::from_client(&e, ErrorContext::ConnectionTest))
}

/// The relay client, when a relay URL and token are set.
pub(crate) fn relay_client(cx: &Context) -> Result<Option<DesktopClient>, AppError> {
    let Some(url) = setting(cx, keys::RELAY_URL)? else {
        return Ok(None);
    };
    let Some(token) = secret(cx, SecretKey::RelayToken)? else {
        return Ok(None);
    };
    // Checked again here: a value saved by an older version was not.
    if relay::client::check_url(&url).is_err() {
        return Err(insecure_url(UrlKind::Relay));
    }
    Ok(Some(DesktopClient::with_limits(
        &url,
        token.expose(),
        relay_limits(cx.inner.relay_stall_divisor),
    )))
}

/// The connection test: with `form`, the screen's values (unsaved) over the saved
/// ones, in a client built for this test alone (not cached, nothing stored).
pub(crate) async fn test_connection(
    cx: &Context,
    form: Option<&ConnectionTestInput>,
) -> Result<ConnectionTestResult, AppError> {
    let relay = test_relay(cx, form).await;
    let mut tested = Vec::new();
    let built = match form {
        Some(_) => build_gateway_with(cx, form, &mut tested),
        None => {
            let cache = || {
                cx.inner
                    .clients
                    .gateway
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
            };
            let generation = cache().1;
            let built = build_gateway_with(cx, None, &mut tested);
            // The saved settings' client is the one operations use: keep it, unless
            // the settings changed while it was built.
            if let Ok(c) = &built {
                let mut cache = cache();
                if cache.1 == generation {
                    cache.0 = Some(c.clone());
                }
            }
            built
        }
    };
    let client = match built {
        Ok(c) => c,
        Err(e) => {
            let outcome = match e.code.as_str() {
                "not_configured" => ConnectionOutcomeCode::NotConfigured,
                "E02004" | "E01002" => ConnectionOutcomeCode::Certificate,
                c if c.starts_with("keychain") => ConnectionOutcomeCode::NotConfigured,
                _ => ConnectionOutcomeCode::Other,
            };
            return Ok(ConnectionTestResult {
                outcome,
                ok: false,
                code: Some(e.code.clone()),
                message: e.message,
                action: e.action,
                relay,
                tested,
            });
        }
    };
    // A payment that cannot exist: "not found" proves the credentials, the
    // certificate and the source IP were all accepted, without touching a payment.
    let probe = PaymentInquiry {
        target: PaymentRef::by_payment_id("0"),
        payment_type: None,
    };
    let answer = client.send(&probe).await;
    let (outcome, code, explanation) = match &answer {
        Ok(_) => (ConnectionOutcomeCode::Ok, None, None),
        Err(e) => {
            let ex = e.explain(ErrorContext::ConnectionTest);
            let outcome = match e {
                ClientError::Gateway(g) => match g.response_code.as_str() {
                    "P001" | "P002" => ConnectionOutcomeCode::WrongCredentials,
                    "P015" => ConnectionOutcomeCode::IpNotRegistered,
                    "P016" => ConnectionOutcomeCode::Certificate,
                    _ if ex.category == Category::NotFound => ConnectionOutcomeCode::Ok,
                    _ if ex.category == Category::GatewayDown => ConnectionOutcomeCode::GatewayDown,
                    _ => ConnectionOutcomeCode::Other,
                },
                ClientError::Tls(_) | ClientError::Config(_) => ConnectionOutcomeCode::Certificate,
                ClientError::Connect(_)
                | ClientError::Timeout
                | ClientError::ConnectionLost(_)
                | ClientError::MalformedResponse(_) => ConnectionOutcomeCode::GatewayDown,
                ClientError::Encode(_) => ConnectionOutcomeCode::Other,
            };
            (outcome, Some(ex.code.clone()), Some(ex))
        }
    };
    let ok = outcome == ConnectionOutcomeCode::Ok;
    tracing::info!(outcome = ?outcome, code = ?code, "connection test");
    let (message, action) = match (ok, explanation) {
        (true, _) => (
            Text::new(
                "ペイジェントに接続できました。接続ID・パスワード・クライアント証明書は正しく設定されています。",
                "Connected to Paygent: the connect ID, password and client certificate are correct.",
            ),
            None,
        ),
        (false, Some(ex)) => (
            Text::new(&ex.ja, &ex.en),
            Some(Text::new(&ex.action_ja, &ex.action_en)),
        ),
        (false, None) => {
            let ex = explain("E01003", ErrorContext::ConnectionTest);
            (
                Text::new(&ex.ja, &ex.en),
                Some(Text::new(&ex.action_ja, &ex.action_en)),
            )
        }
    };
    Ok(ConnectionTestResult {
        outcome,
        ok,
        code: if ok { None } else { code },
        message,
        action,
        relay,
        tested,
    })
}

pub(crate) async fn test_relay(
    cx: &Context,
    form: Option<&ConnectionTestInput>,
) -> Option<RelayTestResult> {
    let typed_url = form
        .and_then(|f| f.settings.relay_url.as_deref())
        .map(str::trim);
    let typed_token = form
        .and_then(|f| f.credentials.relay_token.as_deref())
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let client = match (typed_url, typed_token) {
        // The box emptied on screen: no relay is what is being tested.
        (Some(""), _) => Ok(None),
        (None, None) => relay_client(cx),
        (url, token) => {
            let url = match url {
                Some(u) => Some(u.to_owned()),
                None => setting(cx, keys::RELAY_URL).ok().flatten(),
            };
            let token = match token {
                Some(t) => Some(Sensitive::new(t.to_owned())),
                None => secret(cx, SecretKey::RelayToken).ok().flatten(),
            };
            Ok(url
                .zip(token)
                .map(|(u, t)| DesktopClient::new(&u, t.expose())))
        }
    };
    let client = match client {
        Ok(Some(c)) => c,
        Ok(None) => return None,
        Err(e) => {
            return Some(RelayTestResult {
                ok: false,
                message: e.message,
            });
        }
    };
    Some(match client.status().await {
        Ok(status) => RelayTestResult {
            ok: true,
            message: Text::new(
                &format!(
                    "中継サーバーに接続できました（ショップ {}、端末「{}」）。",
                    status.shop, status.desktop.name
                ),
                &format!(
                    "Connected to the relay (shop {}, desktop \"{}\").",
                    status.shop, status.desktop.name
                ),
            ),
        },
        Err(e) => RelayTestResult {
            ok: false,
            message: relay_error(&e).message,
        },
    })
}

pub(crate) fn relay_error(e: &relay::client::ClientError) -> AppError {
    use relay::client::ClientError as E;
    match e {
        E::Unauthorized => AppError::of(ErrorCode::RelayUnauthorized).into(),
        E::InsecureUrl => insecure_url(UrlKind::Relay),
        other => AppError::of(ErrorCode::RelayUnreachable)
            .with("detail", other)
            .into(),
    }
}

pub(crate) fn app_info(cx: &Context) -> AppInfo {
    AppInfo {
        name: "PayDesk".into(),
        version: cx.inner.version.clone(),
        identifier: cx.inner.identifier.clone(),
        keychain_namespace: cx.inner.keychain.namespace().to_owned(),
        build: match cx.inner.build {
            Build::Release => "release",
            Build::Dev => "dev",
            Build::Test => "test",
        }
        .into(),
        data_dir: cx.inner.data_dir.display().to_string(),
        demo: cx.is_demo(),
        demo_available: cx.inner.demo_available,
        notice: cx.inner.notice.clone(),
    }
}

/// Whether the OS keychain can hold merchant secrets; the home screen warns if not.
pub(crate) fn keychain_status(cx: &Context) -> KeychainStatus {
    match cx.inner.keychain.probe() {
        Ok(()) => KeychainStatus {
            available: true,
            problem: None,
        },
        Err(e) => KeychainStatus {
            available: false,
            problem: Some(AppError::from(e)),
        },
    }
}

/// Validates a language choice coming from the UI or the CLI.
pub(crate) fn parse_language(code: &str) -> Result<Language, AppError> {
    match code {
        "ja" => Ok(Language::Ja),
        "en" => Ok(Language::En),
        other => Err(AppError::of(ErrorCode::UnsupportedLanguage)
            .with("value", other)
            .into()),
    }
}
