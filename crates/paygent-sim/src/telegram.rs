//! Telegram handling: the common-header checks and one handler per telegram kind.
//!
//! Layout: [`Ledger::handle_telegram`] is the single entry point (path, decoded
//! parameters, peer address → reply items); `check_header` implements the P-code checks
//! in a fixed order (documented on it); the `kind_*` functions implement one telegram
//! each and return either the reply items or a [`Refusal`]. The wire encoding of the
//! reply is the gateway module's job.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use paygent_codec::form::Charset;
use paygent_codec::kind::{charset_for_code, path_for_code};
use paygent_codec::{CsvTable, PaymentStatus, Yen};

use crate::card_stub::{self, AuthVerdict};
use crate::clock::wire_timestamp;
use crate::ledger::{
    CardDetails, Contract, EventDetail, Ledger, Payment, Processing, Refusal, is_trading_id,
    paidy_fields, telegram_cause,
};
use crate::rules::GatewayRules;
use crate::transition::{self, Method, Operation, Outcome};

/// The kinds the simulator implements.
pub const SUPPORTED_KINDS: [&str; 16] = [
    "020", "021", "022", "023", "025", "026", "027", "028", "029", "091", "094", "340", "341",
    "342", "343", "450",
];

/// A decoded telegram.
#[derive(Debug, Clone)]
pub struct TelegramRequest<'a> {
    /// The request path.
    pub path: &'a str,
    /// The decoded form parameters, in order.
    pub params: &'a [(String, String)],
    /// The client's address (P015).
    pub peer_ip: Option<IpAddr>,
    /// The fault that will drop the response, for the event log.
    pub fault: Option<String>,
    /// A processing fault: the telegram's work stops in its processing status.
    pub processing: Option<Processing>,
}

/// The reply body before encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyBody {
    /// key=value lines, in order.
    Lines(Vec<(String, String)>),
    /// A CSV reference body (027).
    Csv(CsvTable),
}

/// A telegram's reply.
#[derive(Debug, Clone)]
pub struct TelegramReply {
    /// `telegram_kind` as sent.
    pub kind: String,
    /// The response charset.
    pub charset: Charset,
    /// The body.
    pub body: ReplyBody,
}

/// Parameter access with the gateway's validation codes.
struct Params<'a>(&'a [(String, String)]);

impl<'a> Params<'a> {
    /// The value (the last one wins, as duplicates are not expected).
    fn get(&self, name: &str) -> Option<&'a str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A present, non-empty value no longer than `max` bytes (P005/P006/P009).
    fn required(&self, name: &str, max: usize) -> Result<&'a str, Refusal> {
        match self.get(name) {
            None => Err(Refusal::new(
                "P005",
                &format!("[{name}]パラメータが存在しません。"),
            )),
            Some("") => Err(Refusal::new(
                "P006",
                &format!("[{name}]必須項目が設定されていません。"),
            )),
            Some(v) if v.len() > max => Err(Refusal::new("P009", &format!("[{name}]桁数エラー"))),
            Some(v) => Ok(v),
        }
    }

    /// An optional value; empty counts as absent (P009 when too long).
    fn optional(&self, name: &str, max: usize) -> Result<Option<&'a str>, Refusal> {
        match self.get(name) {
            None | Some("") => Ok(None),
            Some(v) if v.len() > max => Err(Refusal::new("P009", &format!("[{name}]桁数エラー"))),
            Some(v) => Ok(Some(v)),
        }
    }

    fn required_digits(&self, name: &str, max: usize) -> Result<&'a str, Refusal> {
        let v = self.required(name, max)?;
        digits_only(name, v)
    }

    fn optional_digits(&self, name: &str, max: usize) -> Result<Option<&'a str>, Refusal> {
        self.optional(name, max)?
            .map(|v| digits_only(name, v))
            .transpose()
    }

    fn required_amount(&self, name: &str, max_digits: usize) -> Result<Yen, Refusal> {
        let v = self.required_digits(name, max_digits)?;
        let amount = Yen::parse_digits(v).ok_or_else(|| type_error(name))?;
        if amount.0 <= 0 {
            return Err(Refusal::new(
                "P014",
                "金額は0より大きい値を設定してください。",
            ));
        }
        Ok(amount)
    }

    fn optional_id(&self, name: &str) -> Result<Option<&'a str>, Refusal> {
        match self.optional(name, 25)? {
            Some(v) if !is_trading_id(v) => Err(type_error(name)),
            other => Ok(other),
        }
    }
}

fn type_error(name: &str) -> Refusal {
    Refusal::new("P008", &format!("[{name}]型エラー"))
}

fn digits_only<'a>(name: &str, v: &'a str) -> Result<&'a str, Refusal> {
    if v.bytes().all(|b| b.is_ascii_digit()) {
        Ok(v)
    } else {
        Err(type_error(name))
    }
}

/// The default `response_detail` for a code.
pub fn default_detail(code: &str) -> &'static str {
    match code {
        "P001" => "認証パラメータが存在しません。",
        "P002" => "認証エラー：マーチャントID、接続ID、接続パスワードを確認してください。",
        "P003" => "電文バージョンが不正です。",
        "P004" => "指定されたURLではこの決済は利用できません。",
        "P007" => "契約されていない決済です。",
        "P010" => "入力値エラー",
        "P014" => "金額エラー",
        "P015" => "接続元IPアドレスが登録されていません。",
        "P022" | "P025" | "P026" => "カード情報が存在しません。",
        "P023" => "カード情報の登録上限を超えています。",
        "2004" => "決済ステータスが処理可能な状態ではありません。",
        "2005" => "マーチャント取引IDが重複しています。",
        "2006" => "決済情報が存在しません。",
        "2007" => "処理期限を過ぎています。",
        "2008" => "カード会社との通信がタイムアウトしました。再度実行してください。",
        "2013" => "補正後の金額が不正です。",
        "2014" => "3Dセキュア認証済みの決済は補正できません。",
        "2020" => "トークンの有効期限が切れています。",
        "2021" => "トークンが存在しません。",
        "2022" => "トークンは使用済みです。",
        "2023" => "カード情報の直接送信は許可されていません。",
        "9004" => "現在処理中です。しばらくしてから再度実行してください。",
        "13001" => "決済情報が存在しません。",
        "13002" => "マーチャント取引IDが重複しています。",
        "24001" => "決済情報が存在しません。",
        "24002" => "マーチャント取引IDが重複しています。",
        "24003" => "決済ステータスが処理可能な状態ではありません。",
        "24006" => "決済の有効期限が切れています。",
        "24005" => "Paidyとの通信がタイムアウトしました。",
        "24007" => "返金額が決済金額を超えています。",
        "31001" => "カード情報に誤りがあります。",
        "31002" => "カード指定方法とパラメータが一致しません。",
        "31003" => "トークンの有効期限が切れています。",
        "31004" => "トークンが存在しません。",
        "31005" => "トークンは使用済みです。",
        "31006" => "カード情報が存在しません。",
        "31007" => "3Dセキュア認証に失敗しました。",
        "31008" => "3Dセキュア利用タイプが不正です。",
        "31009" => "3Dセキュア認証IDが設定されていません。",
        "31010" => "3Dセキュア認証IDは他の取引で使用済みです。",
        "31011" => "3Dセキュア認証IDが存在しません。",
        "31013" => "3Dセキュア認証がタイムアウトしました。",
        "P063" => "3Dセキュアの利用が許可されていません。",
        _ => "",
    }
}

/// The items of a successful reply to each kind, in order (all present, even when empty).
fn reply_items(kind: &str) -> &'static [&'static str] {
    const CARD: &[&str] = &[
        "payment_id",
        "trading_id",
        "issur_class",
        "acq_id",
        "acq_name",
        "issur_name",
        "fc_auth_umu",
        "daiko_code",
        "card_shu_code",
        "k_card_name",
        "issur_id",
        "attempt_kbn",
        "fingerprint",
        "masked_card_number",
        "card_valid_term",
    ];
    const REVISION: &[&str] = &[
        "payment_id",
        "trading_id",
        "base_payment_id",
        "reduced_amount",
        "issur_class",
        "acq_id",
        "acq_name",
        "issur_name",
        "fc_auth_umu",
        "daiko_code",
        "card_shu_code",
        "k_card_name",
        "issur_id",
        "attempt_kbn",
        "fingerprint",
        "masked_card_number",
        "card_valid_term",
    ];
    match kind {
        "020" | "021" | "022" | "023" => CARD,
        "028" | "029" => REVISION,
        "025" => &[
            "num_of_cards",
            "customer_card_id",
            "issur_id",
            "issur_name",
            "acq_id",
            "acq_name",
            "fingerprint",
            "masked_card_number",
            "card_valid_term",
            "cardholder_name",
        ],
        "026" => &["num_of_cards"],
        "340" | "341" | "342" => &["payment_id", "trading_id"],
        "450" => &[
            "card_brand",
            "acq_id",
            "3ds_auth_id",
            "issur_class",
            "acq_name",
            "issur_name",
            "issur_id",
            "fingerprint",
            "masked_card_number",
            "out_acs_html",
        ],
        _ => &[],
    }
}

/// Fills `names` from `values`, in `names` order, with empty strings for missing items;
/// items not in `names` are appended (variable ones like `order_items_title[0]`).
fn layout(names: &[&str], values: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = names
        .iter()
        .map(|n| {
            let v = values
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            ((*n).to_owned(), v)
        })
        .collect();
    out.extend(
        values
            .into_iter()
            .filter(|(k, _)| !names.contains(&k.as_str())),
    );
    out
}

fn head(result: &str, code: &str, detail: &str) -> Vec<(String, String)> {
    vec![
        ("result".into(), result.into()),
        ("response_code".into(), code.into()),
        ("response_detail".into(), detail.into()),
    ]
}

fn kv(k: &str, v: impl Into<String>) -> (String, String) {
    (k.to_owned(), v.into())
}

/// A header-level refusal (only `result`, `response_code`, `response_detail`).
pub fn header_refusal(kind: &str, code: &str, detail: &str) -> TelegramReply {
    let detail = if detail.is_empty() {
        default_detail(code)
    } else {
        detail
    };
    TelegramReply {
        kind: kind.into(),
        charset: charset_for_code(kind),
        body: ReplyBody::Lines(head("1", code, detail)),
    }
}

impl Ledger {
    /// Handles one telegram at `now`, logging it. Never panics on any input.
    pub fn handle_telegram(
        &mut self,
        now: DateTime<Utc>,
        rules: &GatewayRules,
        req: &TelegramRequest<'_>,
    ) -> TelegramReply {
        let p = Params(req.params);
        let kind = p.get("telegram_kind").unwrap_or("").to_owned();
        let merchant_id = p.get("merchant_id").unwrap_or("").to_owned();
        let named_payment = p
            .get("payment_id")
            .filter(|v| !v.is_empty())
            .map(str::to_owned);
        let (reply, payment_id, new_payment_id) = match self.check_header(req, &p, rules) {
            Err(r) => (
                header_refusal(&kind, &r.code, &r.detail),
                named_payment,
                None,
            ),
            Ok(()) => {
                let result = self.dispatch(now, rules, &kind, &merchant_id, &p, req.processing);
                let (items, payment_id, new_id) = match result {
                    Ok(done) => {
                        let items = match done.items {
                            DoneBody::Lines(items) => DoneBody::Lines(success_lines(&kind, items)),
                            csv => csv,
                        };
                        (
                            items,
                            done.payment_id.or(named_payment),
                            done.new_payment_id,
                        )
                    }
                    Err(r) => {
                        let detail = if r.detail.is_empty() {
                            default_detail(&r.code).to_owned()
                        } else {
                            r.detail.clone()
                        };
                        let mut items = head("1", &r.code, &detail);
                        items.extend(refusal_items(&kind, &p, &r));
                        let new_id = r
                            .payment_id
                            .clone()
                            .filter(|id| Some(id) != named_payment.as_ref());
                        (
                            DoneBody::Lines(items),
                            named_payment.or(r.payment_id),
                            new_id,
                        )
                    }
                };
                let body = match items {
                    DoneBody::Lines(items) => ReplyBody::Lines(items),
                    DoneBody::Csv(t) => ReplyBody::Csv(t),
                };
                (
                    TelegramReply {
                        kind: kind.clone(),
                        charset: charset_for_code(&kind),
                        body,
                    },
                    payment_id,
                    new_id,
                )
            }
        };
        let (result, code, detail) = reply_head(&reply.body);
        self.log(
            now,
            EventDetail::Telegram {
                kind,
                merchant_id,
                payment_id,
                new_payment_id,
                result,
                response_code: code,
                response_detail: detail,
                fault: req.fault.clone(),
                processed: true,
            },
        );
        reply
    }

    /// The common-header checks, in this order: P001 (authentication items missing), P002
    /// (unknown merchant, wrong connect ID or password), P005 (telegram_kind missing), P008
    /// / P010 (kind not three digits / a kind with no URL), P004 (kind sent to another
    /// kind's URL), P005/P003 (telegram_version missing / not `1.0`), P007 (kind not
    /// simulated, or service not contracted), P015 (source address not allowed).
    fn check_header(
        &self,
        req: &TelegramRequest<'_>,
        p: &Params<'_>,
        rules: &GatewayRules,
    ) -> Result<(), Refusal> {
        let present = |k: &str| p.get(k).is_some_and(|v| !v.is_empty());
        if !present("merchant_id") || !present("connect_id") || !present("connect_password") {
            return Err(Refusal::new("P001", ""));
        }
        let merchant_id = p.get("merchant_id").unwrap_or("");
        let shop = self
            .shops
            .get(merchant_id)
            .ok_or_else(|| Refusal::new("P002", ""))?;
        let id_ok = p.get("connect_id") == Some(shop.connect_id.as_str());
        let password_ok = p.get("connect_password") == Some(shop.connect_password.expose());
        if !id_ok || !password_ok {
            return Err(Refusal::new("P002", ""));
        }
        let kind = p.required("telegram_kind", 3)?;
        if kind.len() != 3 || !kind.bytes().all(|b| b.is_ascii_digit()) {
            return Err(type_error("telegram_kind"));
        }
        let Some(path) = path_for_code(kind) else {
            return Err(Refusal::new("P010", "[telegram_kind]入力値エラー"));
        };
        if path != req.path {
            return Err(Refusal::new("P004", ""));
        }
        let version = p.required("telegram_version", 6)?;
        if version != rules.telegram_version {
            return Err(Refusal::new("P003", ""));
        }
        if !SUPPORTED_KINDS.contains(&kind) {
            return Err(Refusal::new("P007", ""));
        }
        let contract = match kind {
            "025" | "026" | "027" => Some(Contract::StoredCard),
            "020" | "021" | "022" | "023" | "028" | "029" => Some(Contract::Card),
            "340" | "341" | "342" | "343" => Some(Contract::Paidy),
            "450" => Some(Contract::ThreeDSecure),
            _ => None,
        };
        if let Some(c) = contract.filter(|c| !shop.contracts.contains(c)) {
            let code = match c {
                Contract::StoredCard => "P021",
                Contract::ThreeDSecure => "P063",
                _ => "P007",
            };
            return Err(Refusal::new(code, ""));
        }
        let ip_refused = match (&shop.source_ip_allow, req.peer_ip) {
            (Some(allow), Some(ip)) => !allow.contains(&ip),
            _ => false,
        };
        if ip_refused {
            return Err(Refusal::new("P015", ""));
        }
        Ok(())
    }

    fn dispatch(
        &mut self,
        now: DateTime<Utc>,
        rules: &GatewayRules,
        kind: &str,
        merchant: &str,
        p: &Params<'_>,
        processing: Option<Processing>,
    ) -> Result<Done, Refusal> {
        let follow_up = |op| (op, processing);
        match kind {
            "020" => self.kind_020(now, rules, merchant, p),
            "021" => self.kind_card_follow_up(
                now,
                rules,
                merchant,
                p,
                kind,
                follow_up(Operation::CardAuthorizeCancel),
            ),
            "022" => self.kind_card_follow_up(
                now,
                rules,
                merchant,
                p,
                kind,
                follow_up(Operation::CardCapture),
            ),
            "023" => self.kind_card_follow_up(
                now,
                rules,
                merchant,
                p,
                kind,
                follow_up(Operation::CardCaptureCancel),
            ),
            "025" => self.kind_025(now, rules, merchant, p),
            "026" => self.kind_026(now, merchant, p),
            "027" => self.kind_027(now, merchant, p),
            "028" | "029" => self.kind_revision(now, rules, merchant, p, kind),
            "091" => self.kind_091(merchant, p),
            "094" => self.kind_094(merchant, p),
            "340" => self.kind_paidy(
                now,
                rules,
                merchant,
                p,
                kind,
                follow_up(Operation::PaidyAuthorizeCancel),
            ),
            "341" => self.kind_paidy(
                now,
                rules,
                merchant,
                p,
                kind,
                follow_up(Operation::PaidyCapture),
            ),
            "342" => {
                let amount = p
                    .optional_digits("amount", 8)?
                    .map(|v| Yen::parse_digits(v).unwrap_or(Yen(0)));
                self.kind_paidy(
                    now,
                    rules,
                    merchant,
                    p,
                    kind,
                    follow_up(Operation::PaidyRefund { amount }),
                )
            }
            "343" => self.kind_343(merchant, p),
            "450" => self.kind_450(now, merchant, p),
            _ => Err(Refusal::new("P007", "")),
        }
    }

    /// Finds the payment named by payment_id and/or trading_id (§2): `codes` are
    /// (not found, duplicate trading_id).
    fn find_payment(
        &self,
        merchant: &str,
        p: &Params<'_>,
        method: Option<Method>,
        codes: (&str, &str),
    ) -> Result<String, Refusal> {
        let payment_id = p.optional_digits("payment_id", 18)?;
        let trading_id = p.optional_id("trading_id")?;
        let not_found = || Refusal::new(codes.0, "");
        match (payment_id, trading_id) {
            (None, None) => Err(Refusal::new(
                "P005",
                "[payment_id]パラメータが存在しません。",
            )),
            (Some(id), trading) => {
                let payment = self
                    .payments
                    .get(id)
                    .filter(|pay| pay.merchant_id == merchant)
                    .ok_or_else(not_found)?;
                if trading.is_some_and(|t| payment.trading_id.as_deref() != Some(t)) {
                    return Err(not_found());
                }
                Ok(id.to_owned())
            }
            (None, Some(trading)) => {
                let matches: Vec<&Payment> = self
                    .payments
                    .values()
                    .filter(|pay| {
                        pay.merchant_id == merchant && pay.trading_id.as_deref() == Some(trading)
                    })
                    .filter(|pay| method.is_none_or(|m| pay.method == m))
                    .collect();
                match matches.as_slice() {
                    [] => Err(not_found()),
                    [one] => Ok(one.payment_id.clone()),
                    _ => Err(Refusal::new(codes.1, "")),
                }
            }
        }
    }

    fn card_items(&self, payment_id: &str) -> Vec<(String, String)> {
        let Some(payment) = self.payments.get(payment_id) else {
            return Vec::new();
        };
        let mut items = vec![
            kv("payment_id", payment_id),
            kv("trading_id", payment.trading_id.clone().unwrap_or_default()),
        ];
        if let Some(card) = &payment.card {
            let (acq_id, acq_name, issur_name) = card_stub::acquirer(&card.number);
            items.extend([
                kv("issur_class", "0"),
                kv("acq_id", acq_id),
                kv("acq_name", acq_name),
                kv("issur_name", issur_name),
                kv("attempt_kbn", if payment.three_d_secure { "0" } else { "" }),
                kv("fingerprint", card.fingerprint()),
                kv("masked_card_number", card_stub::masked(&card.number)),
                kv("card_valid_term", card.valid_term.clone()),
            ]);
        }
        items
    }

    fn kind_020(
        &mut self,
        now: DateTime<Utc>,
        rules: &GatewayRules,
        merchant: &str,
        p: &Params<'_>,
    ) -> Result<Done, Refusal> {
        let amount = p.required_amount("payment_amount", 7)?;
        if amount.0 > rules.card_amount_limit {
            return Err(Refusal::new("P010", "[payment_amount]入力値エラー"));
        }
        let trading_id = p.optional_id("trading_id")?.map(str::to_owned);
        let payment_class = p
            .optional_digits("payment_class", 2)?
            .unwrap_or("10")
            .to_owned();
        if !["10", "23", "61", "80"].contains(&payment_class.as_str()) {
            return Err(Refusal::new("P010", "[payment_class]入力値エラー"));
        }
        let split_count = p
            .optional_digits("split_count", 2)?
            .unwrap_or("")
            .to_owned();
        if payment_class == "61" && split_count.is_empty() {
            return Err(Refusal::new(
                "P005",
                "[split_count]パラメータが存在しません。",
            ));
        }
        let sales_mode = p.optional("sales_mode", 1)?;
        if sales_mode.is_some_and(|m| m != "0" && m != "1") {
            return Err(Refusal::new("P010", "[sales_mode]入力値エラー"));
        }
        let three_d_secure = p.get("3dsecure_use_type") == Some("2");
        let auth_id = p.optional("3ds_auth_id", 36)?;
        if auth_id.is_some() && !three_d_secure {
            // §4.6: a 3ds_auth_id with 3dsecure_use_type other than 2.
            return Err(Refusal::new("31008", ""));
        }
        if three_d_secure {
            let shop = self.shop(merchant).map_err(|_| Refusal::new("P002", ""))?;
            if !shop.contracts.contains(&Contract::ThreeDSecure) {
                return Err(Refusal::new("P063", ""));
            }
            let Some(auth_id) = auth_id else {
                return Err(Refusal::new("31009", ""));
            };
            // §4.6: only an authentication 450 issued and the cardholder finished.
            if let Some(code) = self.three_ds_refusal(merchant, auth_id) {
                return Err(Refusal::new(code, ""));
            }
        }
        let source = self.card_source(now, merchant, p)?;

        // Re-authorization of a payment left in 10 by an input error.
        let existing = match p.optional_digits("payment_id", 18)? {
            Some(id) => {
                let payment = self
                    .payments
                    .get(id)
                    .filter(|pay| pay.merchant_id == merchant && pay.method == Method::Card);
                let Some(payment) = payment else {
                    return Err(Refusal::new("2001", "P901"));
                };
                match transition::transition(
                    payment.status,
                    Operation::CardReauthorize,
                    transition::Facts {
                        method: Method::Card,
                        amount: payment.amount,
                        three_d_secure: payment.three_d_secure,
                    },
                ) {
                    Outcome::Reauthorize
                        if payment.reauthorizations >= rules.card_reauthorization_limit =>
                    {
                        return Err(Refusal::new("2001", "P903"));
                    }
                    Outcome::Reauthorize => Some(id.to_owned()),
                    Outcome::Refused { code, detail } => return Err(Refusal::new(code, detail)),
                    _ => return Err(Refusal::new("2001", "P902")),
                }
            }
            None => None,
        };

        let verdict = card_stub::authorize(
            &source.card.number,
            &source.card.valid_term,
            Ledger::card_month(now),
        );
        let cause = telegram_cause("020");
        let payment_id = match &existing {
            Some(id) => {
                if let Some(pay) = self.payments.get_mut(id) {
                    pay.reauthorizations += 1;
                    pay.amount = amount;
                    pay.card = Some(source.card.clone());
                }
                id.clone()
            }
            None => self.new_payment_id(),
        };
        // sales_mode=1 authorizes and captures in one step: the payment is 40 at once
        // (§4.2, §5.3 "sales_mode=1 → ok/40", §10 item 4).
        let captures_at_once = sales_mode == Some("1");
        let status = match &verdict {
            AuthVerdict::Approved if captures_at_once => PaymentStatus::Captured,
            AuthVerdict::Approved => PaymentStatus::Authorized,
            AuthVerdict::Refused { status, .. } => *status,
        };
        let approved = matches!(verdict, AuthVerdict::Approved);
        match &existing {
            Some(id) => {
                if approved && let Some(pay) = self.payments.get_mut(id) {
                    pay.authorized_at = Some(now);
                }
                if status != PaymentStatus::Applied {
                    self.set_status(now, id, status, &cause, rules);
                }
            }
            None => {
                let payment = Payment {
                    payment_id: payment_id.clone(),
                    merchant_id: merchant.into(),
                    trading_id,
                    method: Method::Card,
                    status,
                    amount,
                    created_at: now,
                    authorized_at: approved.then_some(now),
                    captured_at: (status == PaymentStatus::Captured).then_some(now),
                    cancelled_at: None,
                    cart_capture_at: None,
                    three_d_secure,
                    payment_class,
                    split_count,
                    card: Some(source.card.clone()),
                    paidy: None,
                    base_payment_id: None,
                    next_payment_id: None,
                    reauthorizations: 0,
                    changed_outside: false,
                    parked: None,
                    history: Vec::new(),
                };
                self.insert_payment(now, payment, &cause, rules);
            }
        }
        match verdict {
            AuthVerdict::Approved => {
                self.consume_card_source(
                    now,
                    merchant,
                    &source,
                    three_d_secure
                        .then_some(auth_id)
                        .flatten()
                        .map(|a| (a, payment_id.as_str())),
                );
                Ok(Done::lines(self.card_items(&payment_id), Some(payment_id)))
            }
            AuthVerdict::Refused {
                code,
                detail,
                status,
            } => {
                let returned = (status == PaymentStatus::Applied).then_some(payment_id.clone());
                Err(Refusal {
                    code: code.into(),
                    detail,
                    payment_id: returned.or(existing),
                })
            }
        }
    }

    /// Resolves the card a 020 names: token, stored card, CVC token + stored card, or a
    /// previous payment's card (ref_trading_id). Raw card numbers are refused (2023).
    fn card_source(
        &self,
        now: DateTime<Utc>,
        merchant: &str,
        p: &Params<'_>,
    ) -> Result<CardSource, Refusal> {
        let token = p.optional("card_token", 30)?;
        let stock = p.get("stock_card_mode") == Some("1");
        let cvc_token = p.get("security_code_token") == Some("1");
        let raw = p.optional("card_number", 16)?;
        if token.is_some() && raw.is_some() {
            return Err(Refusal::new("2024", ""));
        }
        if cvc_token && (token.is_none() || !stock) {
            return Err(Refusal::new("2025", ""));
        }
        if stock {
            if token.is_some() && !cvc_token {
                return Err(Refusal::new("2024", ""));
            }
            let shop = self.shops.get(merchant);
            if shop.is_none_or(|s| !s.contracts.contains(&Contract::StoredCard)) {
                return Err(Refusal::new("P024", ""));
            }
            let customer_id = p.required("customer_id", 25)?;
            let card_id = p.required_digits("customer_card_id", 18)?;
            let stored = self
                .stored_cards_of(merchant, customer_id)
                .iter()
                .find(|c| c.customer_card_id == card_id)
                .ok_or_else(|| Refusal::new("P025", ""))?;
            if card_stub::is_expired(&stored.card.valid_term, Ledger::card_month(now)) {
                // The seed: a renewal with an expired stored card fails with P010.
                return Err(Refusal::new("P010", "[card_valid_term]入力値エラー"));
            }
            if let Some(t) = token {
                self.check_token(now, merchant, t, true)?;
            }
            return Ok(CardSource {
                card: stored.card.clone(),
                token: token.map(str::to_owned),
            });
        }
        if let Some(t) = token {
            let card = self.check_token(now, merchant, t, false)?;
            return Ok(CardSource {
                card,
                token: Some(t.to_owned()),
            });
        }
        if raw.is_some() {
            return Err(Refusal::new("2023", ""));
        }
        if let Some(reference) = p.optional_id("ref_trading_id")? {
            let card = self
                .payments
                .values()
                .rev()
                .filter(|pay| {
                    pay.merchant_id == merchant && pay.trading_id.as_deref() == Some(reference)
                })
                .filter(|pay| {
                    !matches!(
                        pay.status,
                        PaymentStatus::Applied | PaymentStatus::AuthorizationFailed
                    )
                })
                .find_map(|pay| pay.card.clone())
                .ok_or_else(|| Refusal::new("2009", ""))?;
            return Ok(CardSource { card, token: None });
        }
        Err(Refusal::new(
            "P005",
            "[card_token]パラメータが存在しません。",
        ))
    }

    fn check_token(
        &self,
        now: DateTime<Utc>,
        merchant: &str,
        token: &str,
        cvc_only: bool,
    ) -> Result<CardDetails, Refusal> {
        let t = self
            .tokens
            .get(token)
            .filter(|t| t.merchant_id == merchant)
            .ok_or_else(|| Refusal::new("2021", ""))?;
        if t.used {
            return Err(Refusal::new("2022", ""));
        }
        if now >= t.valid_until {
            return Err(Refusal::new("2020", ""));
        }
        if t.cvc_only != cvc_only {
            return Err(Refusal::new("2026", ""));
        }
        Ok(t.card.clone())
    }

    fn consume_card_source(
        &mut self,
        now: DateTime<Utc>,
        merchant: &str,
        source: &CardSource,
        auth: Option<(&str, &str)>,
    ) {
        if let Some(t) = source.token.as_ref().and_then(|t| self.tokens.get_mut(t)) {
            t.used = true;
        }
        let stored_ids = (&source.card.customer_id, &source.card.customer_card_id);
        if let (Some(customer), Some(card_id)) = stored_ids
            && let Some(stored) = self.stored_card_mut(merchant, customer, card_id)
        {
            stored.last_used_at = Some(now);
        }
        if let Some((id, payment_id)) = auth {
            self.used_3ds_auth_ids.insert(id.to_owned());
            if let Some(auth) = self.three_ds.get_mut(id) {
                auth.used_by = Some(payment_id.to_owned());
            }
        }
    }

    fn kind_card_follow_up(
        &mut self,
        now: DateTime<Utc>,
        rules: &GatewayRules,
        merchant: &str,
        p: &Params<'_>,
        kind: &str,
        (op, processing): (Operation, Option<Processing>),
    ) -> Result<Done, Refusal> {
        let id = self.find_payment(merchant, p, Some(Method::Card), ("2006", "2005"))?;
        self.apply_operation_with(now, &id, op, &telegram_cause(kind), rules, processing)?;
        let mut items = self.card_items(&id);
        // 021/022/023 return the card items empty (§4.3).
        items.truncate(2);
        Ok(Done::lines(items, Some(id)))
    }

    fn kind_revision(
        &mut self,
        now: DateTime<Utc>,
        rules: &GatewayRules,
        merchant: &str,
        p: &Params<'_>,
        kind: &str,
    ) -> Result<Done, Refusal> {
        let id = self.find_payment(merchant, p, Some(Method::Card), ("2006", "2005"))?;
        let amount = p.required_amount("payment_amount", 7)?;
        let flag = p.required("reduction_flag", 1)?;
        let current = self.payments.get(&id).map_or(Yen(0), |pay| pay.amount);
        let new_total = match flag {
            "0" => amount,
            "1" => Yen(current.0 - amount.0),
            _ => return Err(Refusal::new("P010", "[reduction_flag]入力値エラー")),
        };
        let op = if kind == "028" {
            Operation::CardRevisedAuthorize { new_total }
        } else {
            Operation::CardRevisedCapture { new_total }
        };
        let new_id = self
            .apply_operation(now, &id, op, &telegram_cause(kind), rules)?
            .unwrap_or_else(|| id.clone());
        let mut items = self.card_items(&new_id);
        items.push(kv("base_payment_id", id));
        items.push(kv("reduced_amount", new_total.0.to_string()));
        Ok(Done {
            items: DoneBody::Lines(items),
            payment_id: None,
            new_payment_id: Some(new_id),
        })
    }

    fn kind_025(
        &mut self,
        now: DateTime<Utc>,
        rules: &GatewayRules,
        merchant: &str,
        p: &Params<'_>,
    ) -> Result<Done, Refusal> {
        let customer_id = p
            .optional_id("customer_id")?
            .ok_or_else(|| Refusal::new("P005", "[customer_id]パラメータが存在しません。"))?;
        let token = p.optional("card_token", 30)?;
        let card = match (token, p.optional("card_number", 16)?) {
            (Some(_), Some(_)) => return Err(Refusal::new("2024", "")),
            (Some(t), None) => self.check_token(now, merchant, t, false)?,
            (None, Some(_)) => return Err(Refusal::new("2023", "")),
            (None, None) => {
                return Err(Refusal::new(
                    "P005",
                    "[card_token]パラメータが存在しません。",
                ));
            }
        };
        let mut card = card;
        if let Some(holder) = p.optional("cardholder_name", 64)? {
            card.holder = holder.to_owned();
        }
        // valid_check_flg=1 (§4.5, §5.3): a validity-check authorization first, which
        // leaves a card payment of its own: 22 (有効性確認済, cannot be captured or
        // cancelled) on success; 17 (有効性確認NG) and the stub's 2001/2002/2003 on
        // failure, and the card is not registered. The payment carries the telegram's
        // trading_id (094 finds it by that) and amount 0: 025's documented answer has no
        // payment_id (§11, the simulator's choice).
        let valid_check = p.get("valid_check_flg") == Some("1");
        if valid_check {
            let verdict =
                card_stub::authorize(&card.number, &card.valid_term, Ledger::card_month(now));
            let status = match verdict {
                AuthVerdict::Approved => PaymentStatus::ValidityChecked,
                AuthVerdict::Refused { .. } => PaymentStatus::ValidityCheckFailed,
            };
            let trading_id = p.optional_id("trading_id")?.map(str::to_owned);
            let payment_id = self.new_payment_id();
            let payment = Payment {
                payment_id,
                merchant_id: merchant.into(),
                trading_id,
                method: Method::Card,
                status,
                amount: Yen(0),
                created_at: now,
                authorized_at: (status == PaymentStatus::ValidityChecked).then_some(now),
                captured_at: None,
                cancelled_at: None,
                cart_capture_at: None,
                three_d_secure: false,
                payment_class: "10".into(),
                split_count: String::new(),
                card: Some(CardDetails {
                    customer_id: Some(customer_id.to_owned()),
                    ..card.clone()
                }),
                paidy: None,
                base_payment_id: None,
                next_payment_id: None,
                reauthorizations: 0,
                changed_outside: false,
                parked: None,
                history: Vec::new(),
            };
            self.insert_payment(now, payment, &telegram_cause("025"), rules);
            if let AuthVerdict::Refused { code, detail, .. } = verdict {
                // An input error (2003) is still a failed check: 17, no retry on it.
                return Err(Refusal::new(code, &detail));
            }
        }
        let mut add_info: [String; 4] = Default::default();
        for (i, slot) in add_info.iter_mut().enumerate() {
            *slot = p
                .optional(&format!("add_info{}", i + 1), 64)?
                .unwrap_or("")
                .to_owned();
        }
        let id = self
            .register_card(now, merchant, customer_id, card.clone(), add_info, rules)
            .map_err(|code| Refusal::new(code, ""))?;
        if valid_check && let Some(stored) = self.stored_card_mut(merchant, customer_id, &id) {
            stored.valid_checked_at = Some(now);
        }
        if let Some(t) = token.and_then(|t| self.tokens.get_mut(t)) {
            t.used = true;
        }
        let count = self.stored_cards_of(merchant, customer_id).len();
        let (acq_id, acq_name, issur_name) = card_stub::acquirer(&card.number);
        let mut items = vec![
            kv("num_of_cards", count.to_string()),
            kv("customer_card_id", id),
            kv("fingerprint", card.fingerprint()),
            kv("masked_card_number", card_stub::masked(&card.number)),
            kv("card_valid_term", card.valid_term.clone()),
            kv("cardholder_name", card.holder.clone()),
        ];
        if valid_check {
            items.extend([
                kv("issur_name", issur_name),
                kv("acq_id", acq_id),
                kv("acq_name", acq_name),
            ]);
        }
        Ok(Done::lines(items, None))
    }

    fn kind_026(
        &mut self,
        _now: DateTime<Utc>,
        merchant: &str,
        p: &Params<'_>,
    ) -> Result<Done, Refusal> {
        let customer_id = p.required("customer_id", 25)?;
        let card_id = p.optional_digits("customer_card_id", 18)?;
        let left = self
            .delete_cards(merchant, customer_id, card_id)
            .ok_or_else(|| Refusal::new("P022", ""))?;
        Ok(Done::lines(
            vec![kv("num_of_cards", left.to_string())],
            None,
        ))
    }

    fn kind_027(
        &mut self,
        now: DateTime<Utc>,
        merchant: &str,
        p: &Params<'_>,
    ) -> Result<Done, Refusal> {
        let customer_id = p.required("customer_id", 25)?;
        let card_id = p.optional_digits("customer_card_id", 18)?;
        let month = Ledger::card_month(now);
        let mut cards: Vec<_> = self
            .stored_cards_of(merchant, customer_id)
            .iter()
            .filter(|c| card_id.is_none_or(|id| c.customer_card_id == id))
            .collect();
        cards.sort_by_key(|c| std::cmp::Reverse(c.last_used_at));
        let mut table = CsvTable {
            result: "0".into(),
            ..CsvTable::default()
        };
        if cards.is_empty() {
            table.result = "1".into();
            table.response_code = "P026".into();
            table.response_detail = default_detail("P026").into();
            return Ok(Done {
                items: DoneBody::Csv(table),
                payment_id: None,
                new_payment_id: None,
            });
        }
        table.columns = [
            "customer_id",
            "customer_card_id",
            "card_number",
            "card_valid_term",
            "card_last_use_date",
            "card_brand",
            "cardholder_name",
            "add_info1",
            "add_info2",
            "add_info3",
            "add_info4",
            "card_expire_flag",
        ]
        .map(str::to_owned)
        .to_vec();
        // The validity-check columns exist for cards registered with a check (§4.5); a
        // list holding one has them for every row (empty for the others).
        let checked = cards.iter().any(|c| c.valid_checked_at.is_some());
        if checked {
            table.columns.extend(
                [
                    "valid_check_result",
                    "valid_update_cd",
                    "valid_check_date",
                    "issur_name",
                ]
                .map(str::to_owned),
            );
        }
        for c in cards {
            let mut row = vec![
                customer_id.to_owned(),
                c.customer_card_id.clone(),
                card_stub::masked(&c.card.number),
                c.card.valid_term.clone(),
                c.last_used_at
                    .map(|t| wire_timestamp(t)[..12].to_owned())
                    .unwrap_or_default(),
                c.brand.clone(),
                c.card.holder.clone(),
            ];
            row.extend(c.add_info.iter().cloned());
            row.push(
                if card_stub::is_expired(&c.card.valid_term, month) {
                    "1"
                } else {
                    "0"
                }
                .to_owned(),
            );
            if checked {
                match c.valid_checked_at {
                    Some(at) => row.extend([
                        "0".to_owned(),
                        String::new(),
                        wire_timestamp(at),
                        card_stub::acquirer(&c.card.number).2.to_owned(),
                    ]),
                    None => row.extend(std::iter::repeat_n(String::new(), 4)),
                }
            }
            table.rows.push(row);
        }
        Ok(Done {
            items: DoneBody::Csv(table),
            payment_id: None,
            new_payment_id: None,
        })
    }

    fn kind_091(&mut self, merchant: &str, p: &Params<'_>) -> Result<Done, Refusal> {
        let notice_id = p
            .optional_digits("payment_notice_id", 18)?
            .map(|v| v.parse::<u64>().unwrap_or(0));
        let answer = self.difference_inquiry(merchant, notice_id);
        let detail = match answer.success_code {
            1 => "返却する情報はありませんでした。",
            2 => "削除された差分情報が存在します。",
            _ => "",
        };
        let mut items = vec![
            kv("success_code", answer.success_code.to_string()),
            kv("success_detail", detail),
        ];
        let payment_id = answer.fields.as_ref().and_then(|f| {
            f.iter()
                .find(|(k, _)| k == "payment_id")
                .map(|(_, v)| v.clone())
        });
        items.extend(answer.fields.unwrap_or_default());
        Ok(Done::lines(items, payment_id))
    }

    fn kind_094(&mut self, merchant: &str, p: &Params<'_>) -> Result<Done, Refusal> {
        let method = match p.optional_digits("payment_type", 2)? {
            Some("02") => Some(Method::Card),
            Some("22") => Some(Method::Paidy),
            Some(_) => return Err(Refusal::new("13001", "")),
            None => None,
        };
        let id = self.find_payment(merchant, p, method, ("13001", "13002"))?;
        let payment = self
            .payments
            .get(&id)
            .ok_or_else(|| Refusal::new("13001", ""))?;
        let ts = |t: Option<DateTime<Utc>>| t.map(wire_timestamp).unwrap_or_default();
        let mut items = vec![
            kv("payment_id", id.clone()),
            kv("trading_id", payment.trading_id.clone().unwrap_or_default()),
            kv("payment_type", payment.method.payment_type().code()),
            kv("site_id", ""),
            kv("payment_status", payment.status.code()),
            kv("payment_amount", payment.amount.0.to_string()),
        ];
        match payment.method {
            Method::Card => {
                let card = payment.card.as_ref();
                let (acq_id, acq_name, issur_name) =
                    card.map_or(("", "", ""), |c| card_stub::acquirer(&c.number));
                items.extend([
                    kv("payment_init_date", wire_timestamp(payment.created_at)),
                    kv("authorized_date", ts(payment.authorized_at)),
                    kv("cancel_date", ts(payment.cancelled_at)),
                    kv("payment_date", ts(payment.captured_at)),
                    kv("acq_id", acq_id),
                    kv("acq_name", acq_name),
                    kv(
                        "joho_code",
                        if payment.authorized_at.is_some() {
                            "000"
                        } else {
                            ""
                        },
                    ),
                    kv("payment_class", payment.payment_class.clone()),
                    kv("split_count", payment.split_count.clone()),
                    kv("issur_name", issur_name),
                    kv(
                        "3dsecure_ryaku",
                        if payment.three_d_secure { "0" } else { "1" },
                    ),
                    // §4.7: `attempt_kbn` beside `3dsecure_ryaku`.
                    kv("attempt_kbn", if payment.three_d_secure { "0" } else { "" }),
                    kv(
                        "fingerprint",
                        card.map(CardDetails::fingerprint).unwrap_or_default(),
                    ),
                    kv(
                        "masked_card_number",
                        card.map(|c| card_stub::masked(&c.number))
                            .unwrap_or_default(),
                    ),
                    kv(
                        "card_valid_term",
                        card.map(|c| c.valid_term.clone()).unwrap_or_default(),
                    ),
                    kv(
                        "customer_id",
                        card.and_then(|c| c.customer_id.clone()).unwrap_or_default(),
                    ),
                    kv(
                        "customer_card_id",
                        card.and_then(|c| c.customer_card_id.clone())
                            .unwrap_or_default(),
                    ),
                    kv(
                        "3dsecure_message_version",
                        if payment.three_d_secure { "2.2.0" } else { "" },
                    ),
                ]);
            }
            Method::Paidy => {
                if let Some(paidy) = &payment.paidy {
                    items.push(kv("paidy_payment_id", paidy.paidy_payment_id.clone()));
                    items.extend([
                        kv("payment_init_date", wire_timestamp(payment.created_at)),
                        kv("authorized_date", ts(payment.authorized_at)),
                        kv("cancel_date", ts(payment.cancelled_at)),
                        kv("payment_date", ts(payment.captured_at)),
                    ]);
                    paidy_fields(paidy, &mut |k: &str, v: String| items.push(kv(k, v)));
                }
            }
        }
        Ok(Done::lines(items, Some(id)))
    }

    fn kind_paidy(
        &mut self,
        now: DateTime<Utc>,
        rules: &GatewayRules,
        merchant: &str,
        p: &Params<'_>,
        kind: &str,
        (op, processing): (Operation, Option<Processing>),
    ) -> Result<Done, Refusal> {
        let id = self.find_payment(merchant, p, Some(Method::Paidy), ("24001", "24002"))?;
        let new_id =
            self.apply_operation_with(now, &id, op, &telegram_cause(kind), rules, processing)?;
        let trading = self
            .payments
            .get(&id)
            .and_then(|pay| pay.trading_id.clone())
            .unwrap_or_default();
        let returned = new_id.clone().unwrap_or_else(|| id.clone());
        Ok(Done {
            items: DoneBody::Lines(vec![kv("payment_id", returned), kv("trading_id", trading)]),
            payment_id: Some(id),
            new_payment_id: new_id,
        })
    }

    /// 450 EMV 3-D Secure authentication (§4.6): checks the request, resolves the card
    /// (token, stored card; raw numbers 2023 as for 020; Google Pay not simulated), and
    /// starts a pending authentication whose ACS page is `out_acs_html`. The card stub's
    /// X=7 is a card the acquirer does not take (31001).
    fn kind_450(
        &mut self,
        now: DateTime<Utc>,
        merchant: &str,
        p: &Params<'_>,
    ) -> Result<Done, Refusal> {
        let term_url = p.required("term_url", 256)?;
        let merchant_name = p.required("merchant_name", 120)?;
        if merchant_name.chars().count() > 40 {
            return Err(Refusal::new("P009", "[merchant_name]桁数エラー"));
        }
        if p.required("authentication_type", 2)? != "01" {
            return Err(Refusal::new("P010", "[authentication_type]入力値エラー"));
        }
        let method = p.required("card_set_method", 8)?;
        let amount = p.required("payment_amount", 13)?;
        if !amount.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Err(type_error("payment_amount"));
        }
        // Token errors read as the 3-D Secure codes (31003–31005).
        let token_code = |r: Refusal| {
            let code = match r.code.as_str() {
                "2020" => "31003",
                "2021" => "31004",
                "2022" => "31005",
                _ => "31002",
            };
            Refusal::new(code, "")
        };
        let card = match method {
            "token" => {
                let token = p
                    .optional("card_token", 30)?
                    .ok_or_else(|| Refusal::new("31002", ""))?;
                self.check_token(now, merchant, token, false)
                    .map_err(token_code)?
            }
            "customer" => {
                let (Some(customer), Some(card_id)) = (
                    p.optional("customer_id", 25)?,
                    p.optional("customer_card_id", 18)?,
                ) else {
                    return Err(Refusal::new("31002", ""));
                };
                let shop = self.shops.get(merchant);
                if shop.is_none_or(|s| !s.contracts.contains(&Contract::StoredCard)) {
                    return Err(Refusal::new("P024", ""));
                }
                self.stored_cards_of(merchant, customer)
                    .iter()
                    .find(|c| c.customer_card_id == card_id)
                    .map(|c| c.card.clone())
                    .ok_or_else(|| Refusal::new("31006", ""))?
            }
            "direct" => return Err(Refusal::new("2023", "")),
            "google" => return Err(Refusal::new("P007", "")),
            _ => return Err(Refusal::new("P010", "[card_set_method]入力値エラー")),
        };
        if crate::card_stub::xyzz_x(&card.number) == 7 {
            return Err(Refusal::new("31001", ""));
        }
        let id = self.start_three_ds(
            now,
            merchant,
            card.clone(),
            amount,
            term_url,
            crate::three_ds::ThreeDsStatus::Pending,
        );
        let (acq_id, acq_name, issur_name) = card_stub::acquirer(&card.number);
        let html = format!(
            "<html>\r\n<body>\r\n<p>{merchant_name}: 3Dセキュア認証 ({id})</p>\r\n</body>\r\n</html>"
        );
        Ok(Done::lines(
            vec![
                kv("card_brand", card_stub::brand(&card.number)),
                kv("acq_id", acq_id),
                kv("3ds_auth_id", id),
                kv("issur_class", "0"),
                kv("acq_name", acq_name),
                kv("issur_name", issur_name),
                kv("issur_id", ""),
                kv("fingerprint", card.fingerprint()),
                kv("masked_card_number", card_stub::masked(&card.number)),
                kv("out_acs_html", html),
            ],
            None,
        ))
    }

    fn kind_343(&mut self, merchant: &str, p: &Params<'_>) -> Result<Done, Refusal> {
        let paidy_id = p.required("paidy_payment_id", 200)?;
        let found = self
            .payments
            .values()
            .filter(|pay| pay.merchant_id == merchant && pay.base_payment_id.is_none())
            .find(|pay| {
                pay.paidy
                    .as_ref()
                    .is_some_and(|d| d.paidy_payment_id == paidy_id)
            });
        let Some(payment) = found else {
            return Ok(Done::lines(vec![kv("retrieve_result", "1")], None));
        };
        let mut items = vec![
            kv("retrieve_result", "0"),
            kv("payment_amount", payment.amount.0.to_string()),
        ];
        if let Some(paidy) = &payment.paidy {
            paidy_fields(paidy, &mut |k: &str, v: String| items.push(kv(k, v)));
        }
        let id = payment.payment_id.clone();
        Ok(Done::lines(items, Some(id)))
    }
}

/// The card behind a 020 and what to consume on success.
struct CardSource {
    card: CardDetails,
    token: Option<String>,
}

enum DoneBody {
    Lines(Vec<(String, String)>),
    Csv(CsvTable),
}

/// A successful handler result.
struct Done {
    items: DoneBody,
    payment_id: Option<String>,
    new_payment_id: Option<String>,
}

impl Done {
    fn lines(items: Vec<(String, String)>, payment_id: Option<String>) -> Done {
        Done {
            items: DoneBody::Lines(items),
            payment_id,
            new_payment_id: None,
        }
    }
}

/// The items after `result/response_code/response_detail` in a business refusal: the
/// kind's documented items, empty except `payment_id` (2003, 2010, 2012) and `trading_id`.
fn refusal_items(kind: &str, p: &Params<'_>, r: &Refusal) -> Vec<(String, String)> {
    let mut values = vec![kv("trading_id", p.get("trading_id").unwrap_or(""))];
    if let Some(id) = &r.payment_id {
        values.push(kv("payment_id", id.clone()));
        if kind == "028" || kind == "029" {
            values.push(kv("base_payment_id", p.get("payment_id").unwrap_or("")));
        }
    }
    if reply_items(kind).is_empty() {
        return Vec::new();
    }
    layout(reply_items(kind), values)
}

fn reply_head(body: &ReplyBody) -> (String, String, String) {
    match body {
        ReplyBody::Lines(items) => {
            let get = |k: &str| {
                items
                    .iter()
                    .find(|(n, _)| n == k)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            (get("result"), get("response_code"), get("response_detail"))
        }
        ReplyBody::Csv(t) => (
            t.result.clone(),
            t.response_code.clone(),
            t.response_detail.clone(),
        ),
    }
}

/// Finishes a successful reply: `result=0`, empty code and detail, then the kind's
/// documented items in order.
pub fn success_lines(kind: &str, items: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut out = head("0", "", "");
    out.extend(layout(reply_items(kind), items));
    out
}

impl Ledger {
    /// Runs a telegram handler without the header checks and without logging a telegram
    /// event: the control API's checkouts use it to act "as if the storefront sent" 020.
    /// Returns the reply items after `result`/`response_code`/`response_detail`.
    pub(crate) fn run_internal(
        &mut self,
        now: DateTime<Utc>,
        rules: &GatewayRules,
        kind: &str,
        merchant: &str,
        params: &[(String, String)],
    ) -> Result<Vec<(String, String)>, Refusal> {
        match self
            .dispatch(now, rules, kind, merchant, &Params(params), None)?
            .items
        {
            DoneBody::Lines(items) => Ok(items),
            DoneBody::Csv(_) => Ok(Vec::new()),
        }
    }
}
