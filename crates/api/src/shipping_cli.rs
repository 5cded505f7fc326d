//! `paydesk orders labels | tracking | tracking-import`: fulfilment from the command line
//! (scripting), over the same [`Desk`] calls as the window. Capture on shipment is
//! `paydesk bulk capture --all --shipped`.

use crate::cli::{Args, Failure, print_json, say};
use crate::dto::shipping::{CarrierCode, LabelExportRequest, TrackingInput, TrackingLineOutcome};
use crate::{AppError, Desk, Text};

fn carrier(args: &Args) -> Result<CarrierCode, Failure> {
    match args.option("carrier") {
        Some("yamato") => Ok(CarrierCode::Yamato),
        Some("sagawa") => Ok(CarrierCode::Sagawa),
        Some("japan-post" | "japan_post") => Ok(CarrierCode::JapanPost),
        Some(other) => Err(Failure::Usage(format!(
            "--carrier {other}: yamato, sagawa or japan-post"
        ))),
        None => Err("--carrier yamato|sagawa|japan-post is needed".into()),
    }
}

/// Runs one fulfilment sub-command of `orders`.
pub(crate) async fn execute(desk: &Desk, args: &Args, sub: &str) -> Result<(), Failure> {
    match sub {
        "labels" => {
            let out = args.option("out").ok_or("--out FILE.csv is needed")?;
            let order_ids: Vec<i64> = args.words[2..]
                .iter()
                .map(|w| w.parse().map_err(|_| format!("{w}: order IDs are numbers")))
                .collect::<Result<_, _>>()?;
            if order_ids.is_empty() {
                return Err("order IDs are needed".into());
            }
            let report = desk
                .export_labels(
                    out.to_owned(),
                    LabelExportRequest {
                        carrier: carrier(args)?,
                        order_ids,
                        ship_date: args.option("ship-date").map(str::to_owned),
                        yamato_customer_code: args.option("yamato-code").map(str::to_owned),
                        yamato_freight_number: args.option("yamato-freight").map(str::to_owned),
                        default_item: args.option("item").map(str::to_owned),
                    },
                )
                .await?;
            if args.json {
                print_json(&report);
            } else {
                println!("{}", say(&report.summary));
                for r in &report.refused {
                    for p in &r.problems {
                        println!("  {:<20} {}", r.order_number, say(&p.message));
                    }
                }
            }
            // A script must not take a partial file for the whole selection.
            if !report.refused.is_empty() {
                return Err(Failure::App(AppError::refused(
                    "labels_not_all_written",
                    Text::new(
                        &format!("{}件の受注を書き出せませんでした。", report.refused.len()),
                        &format!("{} orders were not written.", report.refused.len()),
                    ),
                )));
            }
        }
        "tracking" => {
            let id = args
                .word(2)
                .and_then(|w| w.parse().ok())
                .ok_or("an order ID is needed")?;
            let number = args.word(3).ok_or("the tracking number is needed")?;
            let tracking = desk
                .add_tracking(TrackingInput {
                    order_id: id,
                    carrier: carrier(args)?,
                    tracking_number: number.to_owned(),
                })
                .await?;
            if args.json {
                print_json(&tracking);
            } else {
                for t in &tracking {
                    println!("{} {}  {}", say(&t.carrier_name), t.tracking_number, t.url);
                }
            }
        }
        "tracking-import" => {
            let path = args.word(2).ok_or("the issued-labels CSV is needed")?;
            let report = desk
                .import_tracking(path.to_owned(), carrier(args)?)
                .await?;
            if args.json {
                print_json(&report);
            } else {
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
            if report.refused > 0 {
                let refused = report
                    .lines
                    .iter()
                    .filter(|l| l.outcome == TrackingLineOutcome::Refused)
                    .count();
                return Err(Failure::App(AppError::refused(
                    "tracking_not_all_recorded",
                    Text::new(
                        &format!("{refused}行の問合せ番号を登録できませんでした。"),
                        &format!("{refused} lines were not recorded."),
                    ),
                )));
            }
        }
        _ => return Err(Failure::Usage("unknown command".into())),
    }
    Ok(())
}
