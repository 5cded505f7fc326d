//! `paydesk orders labels | tracking | tracking-import`: fulfilment from the command line
//! (scripting), over the same [`Desk`] calls as the window. Capture on shipment is
//! `paydesk bulk capture --all --shipped`.

use api::dto::order_mail::{OrderMailKindCode, OrderMailOutcomeCode, OrderMailRequest};
use api::dto::shipping::{
    CarrierCode, LabelExportRequest, TrackingImportReport, TrackingInput, TrackingLineOutcome,
};
use api::{AppError, Desk, Text};
use clap::{Args, ValueEnum};

use crate::{Failure, print_json, say};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum CarrierArg {
    /// ヤマト運輸 (B2クラウド)
    Yamato,
    /// 佐川急便 (e飛伝Ⅲ)
    Sagawa,
    /// 日本郵便 (ゆうパックプリントR)
    #[value(alias = "japan_post")]
    JapanPost,
}

impl CarrierArg {
    fn code(self) -> CarrierCode {
        match self {
            CarrierArg::Yamato => CarrierCode::Yamato,
            CarrierArg::Sagawa => CarrierCode::Sagawa,
            CarrierArg::JapanPost => CarrierCode::JapanPost,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct LabelsArgs {
    /// The orders' IDs
    #[arg(required = true, value_name = "ID")]
    ids: Vec<i64>,
    /// The carrier whose label file to write
    #[arg(long)]
    carrier: CarrierArg,
    /// The file to write (Shift_JIS CSV, as the carrier's software reads it)
    #[arg(long, value_name = "FILE.csv")]
    out: String,
    /// The shipping day (2026-12-07); today without it
    #[arg(long, value_name = "DAY")]
    ship_date: Option<String>,
    /// The item name for orders without items
    #[arg(long, value_name = "NAME")]
    item: Option<String>,
    /// Yamato's customer code (B2クラウド)
    #[arg(long, value_name = "CODE")]
    yamato_code: Option<String>,
    /// Yamato's freight number (01)
    #[arg(long, value_name = "NUMBER")]
    yamato_freight: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct TrackingArgs {
    /// The order's ID
    id: i64,
    /// The tracking number
    number: String,
    /// The carrier
    #[arg(long)]
    carrier: CarrierArg,
}

#[derive(Debug, Args)]
pub(crate) struct TrackingImportArgs {
    /// The carrier's issued-labels CSV
    file: String,
    /// The carrier
    #[arg(long)]
    carrier: CarrierArg,
    /// Then send the shipping notice to the buyers of the orders whose numbers this file
    /// added (not to orders that had them before: `orders notify` sends to those)
    #[arg(long)]
    notify: bool,
}

/// `orders labels`: a script must not take a partial file for the whole selection.
pub(crate) async fn labels(desk: &Desk, a: LabelsArgs, json: bool) -> Result<(), Failure> {
    let report = desk
        .export_labels(
            a.out,
            LabelExportRequest {
                carrier: a.carrier.code(),
                order_ids: a.ids,
                ship_date: a.ship_date,
                yamato_customer_code: a.yamato_code,
                yamato_freight_number: a.yamato_freight,
                default_item: a.item,
            },
        )
        .await?;
    if json {
        print_json(&report);
    } else {
        println!("{}", say(&report.summary));
        for r in &report.refused {
            for p in &r.problems {
                println!("  {:<20} {}", r.order_number, say(&p.message));
            }
        }
    }
    if report.refused.is_empty() {
        return Ok(());
    }
    Err(Failure::App(
        AppError::of(api::ErrorCode::LabelsNotAllWritten)
            .with("count", report.refused.len())
            .into(),
    ))
}

/// `orders tracking`.
pub(crate) async fn tracking(desk: &Desk, a: TrackingArgs, json: bool) -> Result<(), Failure> {
    let tracking = desk
        .add_tracking(TrackingInput {
            order_id: a.id,
            carrier: a.carrier.code(),
            tracking_number: a.number,
        })
        .await?;
    if json {
        print_json(&tracking);
    } else {
        for t in &tracking {
            println!("{} {}  {}", say(&t.carrier_name), t.tracking_number, t.url);
        }
    }
    Ok(())
}

/// `orders tracking-import`: exit 1 unless every line was recorded (and, with `--notify`,
/// every notice sent). With `--json` and `--notify`, one object: `{"import", "notices"}`.
pub(crate) async fn tracking_import(
    desk: &Desk,
    a: TrackingImportArgs,
    json: bool,
) -> Result<(), Failure> {
    let report = desk.import_tracking(a.file, a.carrier.code()).await?;
    if json && !a.notify {
        print_json(&report);
    } else if !json {
        for l in &report.lines {
            println!(
                "line {:<5} {:<20} {:<14} {}",
                l.line,
                l.order_number.as_deref().unwrap_or("-"),
                l.tracking_number.as_deref().unwrap_or("-"),
                say(&l.message)
            );
        }
        println!("{}", say(&report.summary));
    }
    let imported = all_recorded(&report);
    if !a.notify {
        return imported;
    }
    let mut order_ids: Vec<i64> = Vec::new();
    for id in report
        .lines
        .iter()
        .filter(|l| l.outcome == TrackingLineOutcome::Added)
        .filter_map(|l| l.order_id)
    {
        if !order_ids.contains(&id) {
            order_ids.push(id);
        }
    }
    let request = OrderMailRequest {
        kind: OrderMailKindCode::ShippingNotice,
        order_ids,
        resend: false,
    };
    if json {
        let notices = if request.order_ids.is_empty() {
            Ok(None)
        } else {
            desk.send_order_mails(request.clone()).await.map(Some)
        };
        // The import is done either way: a script reads what it recorded even when no
        // notice could go (the error follows, as after any other report).
        let notices = match notices {
            Ok(n) => n,
            Err(e) => {
                print_json(&serde_json::json!({ "import": report, "notices": null }));
                return Err(Failure::App(e));
            }
        };
        print_json(&serde_json::json!({ "import": report, "notices": notices }));
        let not_sent = notices
            .iter()
            .flat_map(|n| &n.results)
            .filter(|r| r.outcome != OrderMailOutcomeCode::Sent)
            .count();
        let problem = notices.and_then(|n| n.problem);
        return imported.and(crate::notices::not_all_sent(not_sent, problem));
    }
    let notified = if request.order_ids.is_empty() {
        println!(
            "{}",
            say(&Text::new(
                "新しく登録した問合せ番号がないため、発送のお知らせは送っていません。",
                "No tracking number was new, so no shipping notice was sent."
            ))
        );
        Ok(())
    } else {
        crate::notices::send(desk, request, false).await
    };
    imported.and(notified)
}

/// Exit 1 unless every line of the import was recorded (or was known already).
fn all_recorded(report: &TrackingImportReport) -> Result<(), Failure> {
    let refused = report
        .lines
        .iter()
        .filter(|l| l.outcome == TrackingLineOutcome::Refused)
        .count();
    if refused == 0 {
        return Ok(());
    }
    Err(Failure::App(
        AppError::of(api::ErrorCode::TrackingNotAllRecorded)
            .with("count", refused)
            .into(),
    ))
}
