//! Payment status (決済ステータス) and payment type (決済種別CD) codes (§5).
//!
//! Unknown codes are a parse error, never a catch-all variant, so a new gateway code is
//! noticed instead of being handled like some other status.

use std::fmt;

macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            /// Every value, in code order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The two-digit wire code.
            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)*
                }
            }

            /// The value for a wire code, or `None` if the code is unknown.
            pub fn from_code(code: &str) -> Option<$name> {
                match code {
                    $($code => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

code_enum! {
    /// A payment's status at the gateway (§5.2). Names follow the card meaning; Paidy uses
    /// the same codes (42 is "refund pending" for Paidy).
    PaymentStatus {
        /// 10 申込済: created; after a retryable input error (2003).
        Applied = "10",
        /// 11 オーソリNG: authorization refused.
        AuthorizationFailed = "11",
        /// 12 支払期限切: payment deadline passed (ATM/CVS/virtual account).
        PaymentExpired = "12",
        /// 13 3Dセキュア中断 (obsolete 3-D Secure 1.0).
        ThreeDSecureAborted = "13",
        /// 14 3Dセキュア認証 (obsolete 3-D Secure 1.0).
        ThreeDSecureAuthenticating = "14",
        /// 15 申込中断; for cards: blocked by the transaction blocker.
        ApplicationAborted = "15",
        /// 16 支払期限切（消込対象外）.
        PaymentExpiredNotCleared = "16",
        /// 17 有効性確認NG: validity-check authorization failed.
        ValidityCheckFailed = "17",
        /// 20 オーソリOK: authorized.
        Authorized = "20",
        /// 21 オーソリ完了 (carrier).
        AuthorizationCompleted = "21",
        /// 22 有効性確認済: validity-check authorization OK.
        ValidityChecked = "22",
        /// 30 売上要求中: capture in progress (retry 022).
        CapturePending = "30",
        /// 31 オーソリ取消中: authorization cancel in progress.
        CancelPending = "31",
        /// 32 オーソリ取消済: authorization cancelled.
        Cancelled = "32",
        /// 33 オーソリ期限切: authorization expired.
        AuthorizationExpired = "33",
        /// 34 補正要求中 (carrier / account transfer).
        RevisionPending = "34",
        /// 35 売上要求済 (carrier / account transfer).
        CaptureRequested = "35",
        /// 36 売上保留 (carrier / account transfer).
        CaptureOnHold = "36",
        /// 37 売上不可 (carrier / account transfer).
        CaptureImpossible = "37",
        /// 40 消込済: captured.
        Captured = "40",
        /// 41 消込済（売上取消期限切）: captured, refund window passed.
        CapturedRefundWindowClosed = "41",
        /// 42 売上取消中: capture cancel in progress (Paidy: refund pending).
        RefundPending = "42",
        /// 43 速報検知済 (convenience store preliminary payment).
        PreliminaryPaid = "43",
        /// 44 消込完了 (carrier).
        ClearingCompleted = "44",
        /// 50 売上取消集計中: capture cancel being settled.
        RefundSettling = "50",
        /// 60 売上取消済: capture cancelled / refunded.
        Refunded = "60",
        /// 61 速報取消済 (convenience store).
        PreliminaryCancelled = "61",
        /// 62 取消完了 (carrier).
        CancelCompleted = "62",
    }
}

code_enum! {
    /// The payment method of a payment (§5.1).
    PaymentType {
        /// 01 ATM.
        Atm = "01",
        /// 02 credit card.
        Card = "02",
        /// 03 convenience store (number method).
        ConvenienceStoreNumber = "03",
        /// 04 convenience store (slip method).
        ConvenienceStoreSlip = "04",
        /// 05 bank net.
        BankNet = "05",
        /// 06 carrier.
        Carrier = "06",
        /// 07 virtual account.
        VirtualAccount = "07",
        /// 11 e-money.
        ElectronicMoney = "11",
        /// 12 Yahoo! wallet (plugin constant, unconfirmed).
        YahooWallet = "12",
        /// 15 deferred payment (plugin constant, unconfirmed).
        DeferredPayment = "15",
        /// 16 account transfer.
        AccountTransfer = "16",
        /// 17 Rakuten Pay.
        RakutenPay = "17",
        /// 19 UnionPay.
        UnionPay = "19",
        /// 20 Alipay.
        Alipay = "20",
        /// 21 Apple Pay.
        ApplePay = "21",
        /// 22 Paidy.
        Paidy = "22",
        /// 23 Google Pay.
        GooglePay = "23",
        /// 26 PayPay.
        PayPay = "26",
    }
}
