//! Drawing: A4 pages in points, origin at the top left. BIZ UDGothic is a fixed-pitch
//! Japanese font (half-width characters half an em, the rest one em), so a text's width is
//! known without shaping it first: that is what right-aligns the amounts.

use std::sync::LazyLock;

use domain::Yen;
use domain::history::yen;
use domain::invoice::{RateTotal, TaxRate};
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Size, Transform};
use krilla::image::Image;
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};

use crate::model::{DocumentKind, Issue, OrderDocument, Shop};

/// The font, embedded in the program (SIL Open Font License 1.1, `fonts/OFL.txt`).
static FONT_DATA: &[u8] = include_bytes!("../fonts/BIZUDGothic-Regular.ttf");
static FONT: LazyLock<Option<Font>> = LazyLock::new(|| Font::new(FONT_DATA.into(), 0));

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const LEFT: f32 = 42.0;
const RIGHT: f32 = PAGE_W - 42.0;
const ROW: f32 = 19.0;
/// Where the table may run to before the totals and the footer need the rest.
const TABLE_END: f32 = 640.0;
const CONTINUED_TABLE_TOP: f32 = 110.0;

/// Columns of the item table: right edges of quantity, unit price and amount.
const COL_QTY: f32 = 370.0;
const COL_UNIT: f32 = 455.0;

/// One order's document, ready to draw.
pub struct Page<'a> {
    pub kind: DocumentKind,
    pub order: &'a OrderDocument,
    pub issue: &'a Issue,
    pub totals: Vec<RateTotal>,
}

/// One printed row of the item table.
struct Row {
    title: String,
    quantity: Option<i64>,
    unit_price: Option<Yen>,
    amount: Yen,
}

pub fn draw(shop: &Shop, pages: &[Page<'_>]) -> Result<Vec<u8>, String> {
    let font = FONT
        .clone()
        .ok_or_else(|| "the embedded font could not be read".to_owned())?;
    let logo = image(shop.logo_png.as_deref())?;
    let seal = image(shop.seal_png.as_deref())?;
    let mut document = Document::new();
    let title = pages
        .first()
        .map(|p| p.kind.title().to_owned())
        .unwrap_or_default();
    document.set_metadata(
        Metadata::new()
            .title(title)
            .creator("PayDesk".to_owned())
            .language("ja".to_owned()),
    );
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or("page size")?;
    for page in pages {
        let rows = rows(page);
        let chunks = paginate(&rows);
        for (n, chunk) in chunks.iter().enumerate() {
            let mut pdf_page = document.start_page_with(settings.clone());
            // The surface borrows the page until it is finished.
            {
                let mut s = Pen {
                    surface: pdf_page.surface(),
                    font: font.clone(),
                };
                let table_top = if n == 0 {
                    s.head(shop, page, logo.as_ref(), seal.as_ref())
                } else {
                    s.continued(page);
                    CONTINUED_TABLE_TOP
                };
                let y = s.table(table_top, chunk);
                if n + 1 == chunks.len() {
                    s.totals(y + 14.0, page);
                }
                s.footer(page, n + 1, chunks.len());
                s.surface.finish();
            }
            pdf_page.finish();
        }
    }
    document.finish().map_err(|e| format!("{e:?}"))
}

fn image(png: Option<&[u8]>) -> Result<Option<Image>, String> {
    png.map(|bytes| Image::from_png(bytes.to_vec().into(), true))
        .transpose()
}

fn rows(page: &Page<'_>) -> Vec<Row> {
    let order = page.order;
    let mark = |rate: TaxRate| if rate == TaxRate::Reduced { " ※" } else { "" };
    let mut rows: Vec<Row> = order
        .lines
        .iter()
        .map(|l| Row {
            title: format!("{}{}", l.title, mark(l.rate)),
            quantity: Some(l.quantity),
            unit_price: Some(l.unit_price),
            amount: Yen(l.unit_price.0 * l.quantity),
        })
        .collect();
    if let Some(fee) = order.shipping_fee {
        rows.push(Row {
            title: "送料".into(),
            quantity: None,
            unit_price: None,
            amount: fee,
        });
    }
    rows.extend(order.adjustments.iter().map(|a| Row {
        title: format!("{}{}", a.label, mark(a.rate)),
        quantity: None,
        unit_price: None,
        amount: a.amount,
    }));
    rows
}

/// Rows per page: the first page has the heading above its table, later pages only a
/// short one. Always at least one (possibly empty) chunk.
fn paginate(rows: &[Row]) -> Vec<&[Row]> {
    let first = ((TABLE_END - FIRST_TABLE_TOP) / ROW) as usize - 1;
    let later = ((TABLE_END - CONTINUED_TABLE_TOP) / ROW) as usize - 1;
    let mut chunks = vec![&rows[..rows.len().min(first)]];
    let mut rest = &rows[rows.len().min(first)..];
    while !rest.is_empty() {
        let (chunk, tail) = rest.split_at(rest.len().min(later));
        chunks.push(chunk);
        rest = tail;
    }
    chunks
}

const FIRST_TABLE_TOP: f32 = 330.0;

/// The width of `text` at `size`: half an em for half-width characters, one em otherwise.
fn width(text: &str, size: f32) -> f32 {
    text.chars()
        .map(|c| {
            let half = (c as u32) < 0x2000 || ('\u{FF61}'..='\u{FF9F}').contains(&c);
            if half { 0.5 } else { 1.0 }
        })
        .sum::<f32>()
        * size
}

/// Cuts `text` to fit `max` points, marking the cut with an ellipsis.
fn fit(text: &str, size: f32, max: f32) -> String {
    if width(text, size) <= max {
        return text.to_owned();
    }
    let mut out = String::new();
    for c in text.chars() {
        if width(&out, size) + width(&c.to_string(), size) + size > max {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

fn date(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

struct Pen<'a> {
    surface: Surface<'a>,
    font: Font,
}

impl Pen<'_> {
    fn fill(&mut self, r: u8, g: u8, b: u8) {
        self.surface.set_fill(Some(Fill {
            paint: rgb::Color::new(r, g, b).into(),
            opacity: NormalizedF32::ONE,
            rule: Default::default(),
        }));
    }

    fn text(&mut self, x: f32, y: f32, size: f32, text: &str) {
        self.surface.draw_text(
            Point::from_xy(x, y),
            self.font.clone(),
            size,
            text,
            false,
            TextDirection::Auto,
        );
    }

    fn text_right(&mut self, right: f32, y: f32, size: f32, text: &str) {
        self.text(right - width(text, size), y, size, text);
    }

    fn text_center(&mut self, y: f32, size: f32, text: &str) {
        self.text((PAGE_W - width(text, size)) / 2.0, y, size, text);
    }

    fn line(&mut self, x1: f32, x2: f32, y: f32, w: f32) {
        let mut pb = PathBuilder::new();
        pb.move_to(x1, y);
        pb.line_to(x2, y);
        if let Some(path) = pb.finish() {
            self.surface.set_fill(None);
            self.surface.set_stroke(Some(Stroke {
                width: w,
                ..Stroke::default()
            }));
            self.surface.draw_path(&path);
            self.surface.set_stroke(None);
        }
        self.fill(0, 0, 0);
    }

    fn band(&mut self, x1: f32, x2: f32, top: f32, h: f32, grey: u8) {
        let mut pb = PathBuilder::new();
        if let Some(rect) = krilla::geom::Rect::from_xywh(x1, top, x2 - x1, h) {
            pb.push_rect(rect);
        }
        if let Some(path) = pb.finish() {
            self.fill(grey, grey, grey);
            self.surface.draw_path(&path);
        }
        self.fill(0, 0, 0);
    }

    fn picture(&mut self, image: &Image, x: f32, y: f32, max: f32) {
        let (w, h) = (image.size().0 as f32, image.size().1 as f32);
        let scale = (max / w).min(max / h);
        if let Some(size) = Size::from_wh(w * scale, h * scale) {
            self.surface
                .push_transform(&Transform::from_translate(x, y));
            self.surface.draw_image(image.clone(), size);
            self.surface.pop();
        }
    }

    /// The first page's heading: title, issue, buyer, shop and, for the invoice and the
    /// receipt, the amount. Returns where the table starts.
    fn head(
        &mut self,
        shop: &Shop,
        page: &Page<'_>,
        logo: Option<&Image>,
        seal: Option<&Image>,
    ) -> f32 {
        let (order, issue) = (page.order, page.issue);
        self.fill(0, 0, 0);
        let title = page.kind.title();
        self.text_center(70.0, 22.0, title);
        if issue.reissue {
            self.fill(200, 30, 30);
            self.text(
                (PAGE_W + width(title, 22.0)) / 2.0 + 16.0,
                68.0,
                12.0,
                "【再発行】",
            );
            self.fill(0, 0, 0);
        }
        if let Some(note) = &order.note {
            self.fill(200, 30, 30);
            self.text_center(94.0, 11.0, note);
            self.fill(0, 0, 0);
        }

        // Right: the issue, then the shop.
        let mut y = 120.0;
        for (label, value) in [
            ("発行日", date(issue.issued_on)),
            ("番号", issue.number.clone()),
            ("注文番号", order.order_number.clone()),
            ("注文日", date(order.ordered_on)),
            ("お支払い", order.payment_method.clone()),
        ] {
            self.text(360.0, y, 9.0, label);
            self.text_right(RIGHT, y, 9.0, &fit(&value, 9.0, 140.0));
            y += 13.0;
        }
        y += 10.0;
        let shop_top = y;
        self.text(360.0, y, 12.0, &fit(&shop.name, 12.0, RIGHT - 360.0));
        y += 16.0;
        if let Some(code) = &shop.postal_code {
            self.text(360.0, y, 9.0, &format!("〒{code}"));
            y += 12.0;
        }
        if let Some(address) = &shop.address {
            self.text(360.0, y, 9.0, &fit(address, 9.0, RIGHT - 360.0));
            y += 12.0;
        }
        if let Some(phone) = &shop.phone {
            self.text(360.0, y, 9.0, &format!("TEL {phone}"));
            y += 12.0;
        }
        if let Some(number) = &shop.registration_number {
            self.text(360.0, y, 9.0, &format!("登録番号 {}", number.as_str()));
        }
        if let Some(seal) = seal {
            self.picture(seal, RIGHT - 56.0, shop_top - 14.0, 56.0);
        }
        if let Some(logo) = logo {
            self.picture(logo, RIGHT - 90.0, 20.0, 40.0);
        }

        // Left: the buyer.
        let mut y = 130.0;
        if page.kind != DocumentKind::Receipt {
            if let Some(code) = &order.buyer_postal_code {
                self.text(LEFT, y, 10.0, &format!("〒{code}"));
                y += 14.0;
            }
            if let Some(address) = &order.buyer_address {
                self.text(LEFT, y, 10.0, &fit(address, 10.0, 290.0));
                y += 14.0;
            }
            y += 6.0;
        }
        let buyer = format!("{} 様", order.buyer_name);
        self.text(LEFT, y + 4.0, 15.0, &fit(&buyer, 15.0, 290.0));
        self.line(LEFT, 320.0, y + 8.0, 0.8);

        // The amount, for the documents that ask for or acknowledge it.
        let total = order.payment_amount;
        match page.kind {
            DocumentKind::Receipt => {
                self.band(LEFT, 320.0, 214.0, 34.0, 238);
                self.text(LEFT + 8.0, 237.0, 11.0, "金額");
                self.text_right(312.0, 240.0, 20.0, &format!("{}-", yen(total)));
                self.text(LEFT, 268.0, 10.0, "但し お品代として");
                self.text(LEFT, 284.0, 10.0, "上記正に領収いたしました。");
            }
            DocumentKind::Invoice => {
                self.band(LEFT, 320.0, 214.0, 34.0, 238);
                self.text(LEFT + 8.0, 237.0, 11.0, "ご請求金額（税込）");
                self.text_right(312.0, 240.0, 20.0, &yen(total));
                self.text(LEFT, 268.0, 10.0, "下記のとおりご請求申し上げます。");
            }
            DocumentKind::DeliveryNote => {
                self.text(LEFT, 268.0, 10.0, "下記のとおり納品いたします。");
            }
            DocumentKind::OrderSlip => {
                self.text(LEFT, 268.0, 10.0, &format!("合計（税込） {}", yen(total)));
            }
        }
        FIRST_TABLE_TOP
    }

    fn continued(&mut self, page: &Page<'_>) {
        self.fill(0, 0, 0);
        self.text_center(60.0, 16.0, &format!("{}（続き）", page.kind.title()));
        self.text(
            LEFT,
            86.0,
            10.0,
            &format!(
                "注文番号 {}　{} 様",
                page.order.order_number, page.order.buyer_name
            ),
        );
    }

    /// The item table from `top`; returns the y under its last row.
    fn table(&mut self, top: f32, rows: &[Row]) -> f32 {
        self.band(LEFT, RIGHT, top, ROW, 225);
        let header = top + 13.5;
        self.text(LEFT + 6.0, header, 9.0, "品名");
        self.text_right(COL_QTY, header, 9.0, "数量");
        self.text_right(COL_UNIT, header, 9.0, "単価（税込）");
        self.text_right(RIGHT - 6.0, header, 9.0, "金額（税込）");
        let mut y = top + ROW;
        for row in rows {
            let base = y + 13.5;
            self.text(
                LEFT + 6.0,
                base,
                9.5,
                &fit(&row.title, 9.5, COL_QTY - LEFT - 60.0),
            );
            if let Some(q) = row.quantity {
                self.text_right(COL_QTY, base, 9.5, &q.to_string());
            }
            if let Some(p) = row.unit_price {
                self.text_right(COL_UNIT, base, 9.5, &yen(p));
            }
            self.text_right(RIGHT - 6.0, base, 9.5, &yen(row.amount));
            y += ROW;
            self.line(LEFT, RIGHT, y, 0.3);
        }
        self.line(LEFT, RIGHT, y, 0.8);
        y
    }

    /// The totals per rate, the total, and the legend of ※.
    fn totals(&mut self, top: f32, page: &Page<'_>) {
        let mut y = top + 10.0;
        for t in &page.totals {
            let label = match t.rate {
                TaxRate::Standard => "10%対象",
                TaxRate::Reduced => "8%対象 ※",
            };
            self.text(330.0, y, 9.5, label);
            self.text_right(
                RIGHT - 6.0,
                y,
                9.5,
                &format!("{}（内消費税 {}）", yen(t.total), yen(t.tax)),
            );
            y += 15.0;
        }
        self.line(330.0, RIGHT, y - 9.0, 0.5);
        y += 6.0;
        self.text(330.0, y, 12.0, "合計");
        self.text_right(RIGHT - 6.0, y, 12.0, &yen(page.order.payment_amount));
        if page.totals.iter().any(|t| t.rate == TaxRate::Reduced) {
            self.text(LEFT, top + 10.0, 9.0, "※は軽減税率（8%）対象です。");
        }
    }

    fn footer(&mut self, page: &Page<'_>, n: usize, of: usize) {
        self.fill(110, 110, 110);
        self.text_right(
            RIGHT,
            PAGE_H - 30.0,
            8.0,
            &format!("{} {}  {n} / {of}", page.kind.title(), page.issue.number),
        );
        self.fill(0, 0, 0);
    }
}
