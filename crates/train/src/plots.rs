//! PNG plots with plotters: training curves, ROC and precision–recall curves.
use crate::run::EpochRecord;
use anyhow::Context;
use plotters::prelude::*;
use std::path::Path;
use std::sync::Once;

fn fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // A font shipped inside a crate, so plots need no system fonts.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, epaint_default_fonts::UBUNTU_LIGHT);
    });
}

/// What drawing on a PNG can fail with (plotters' errors, boxed).
type Drawn = Result<(), Box<dyn std::error::Error>>;

/// A `size` PNG at `path` (its folder made), white, drawn by `draw`; a failure names the file.
fn png(path: &Path, size: (u32, u32), draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>) -> Drawn) -> anyhow::Result<()> {
    fonts();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let drawn = || -> Drawn {
        let root = BitMapBackend::new(path, size).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
        Ok(())
    };
    drawn().map_err(|e| anyhow::anyhow!("drawing {}: {e}", path.display()))
}

type Series<'a> = (&'a str, Vec<(f64, f64)>, RGBColor);

fn line_chart(path: &Path, title: &str, x: &str, y: &str, xr: (f64, f64), yr: (f64, f64), series: &[Series<'_>]) -> anyhow::Result<()> {
    png(path, (640, 480), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)?;
        chart.configure_mesh().x_desc(x).y_desc(y).label_style(("sans-serif", 14)).draw()?;
        for (name, pts, color) in series {
            let c = *color;
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(2)))?
                .label(*name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
        }
        chart.configure_series_labels().background_style(WHITE.mix(0.85)).border_style(BLACK).label_font(("sans-serif", 14)).draw()?;
        Ok(())
    })
}

/// One line of [`interval_chart`]: its name and points `(x, mean, low, high)`.
pub struct IntervalSeries {
    pub name: String,
    pub points: Vec<(f64, f64, f64, f64)>,
}

/// Lines of means with a vertical bar for each point's interval (y from 0 to 1), and a grey line
/// at `chance` where given.
pub fn interval_chart(path: &Path, title: &str, x: &str, y: &str, xr: (f64, f64), series: &[IntervalSeries], chance: Option<f64>) -> anyhow::Result<()> {
    let palette = [RGBColor(31, 119, 180), RGBColor(214, 39, 40), RGBColor(44, 160, 44), RGBColor(148, 103, 189), RGBColor(255, 127, 14)];
    png(path, (640, 480), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(xr.0..xr.1, 0.0..1.0)?;
        chart.configure_mesh().x_desc(x).y_desc(y).light_line_style(RGBColor(242, 242, 242)).label_style(("sans-serif", 14)).draw()?;
        if let Some(c) = chance {
            let grey = RGBColor(140, 140, 140);
            chart
                .draw_series(LineSeries::new([(xr.0, c), (xr.1, c)], grey.stroke_width(1)))?
                .label(format!("chance ({c:.3})"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], grey.stroke_width(1)));
        }
        for (k, s) in series.iter().enumerate() {
            let c = palette[k % palette.len()];
            // Each line shifted a little sideways so that intervals at the same x stay apart.
            let dx = (k as f64 - (series.len() as f64 - 1.0) / 2.0) * (xr.1 - xr.0) * 0.008;
            let pts: Vec<(f64, f64)> = s.points.iter().map(|p| (p.0 + dx, p.1)).collect();
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(2)))?
                .label(s.name.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
            chart.draw_series(s.points.iter().map(|p| ErrorBar::new_vertical(p.0 + dx, p.2, p.1, p.3, c.filled(), 8)))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 14))
            .draw()?;
        Ok(())
    })
}

/// One tile of [`cam_grid`]: an RGB crop (interleaved, `side²`), its activation map (`8×8`) and a
/// caption (one or two lines).
pub struct CamTile {
    pub rgb: Vec<u8>,
    pub side: usize,
    pub cam: Vec<f32>,
    pub caption: String,
}

/// A grid of joint crops with their class-activation maps laid over them: red where the model
/// saw evidence of inflammation (σ(activation) → 1), blue where it saw evidence against.
pub fn cam_grid(path: &Path, title: &str, tiles: &[CamTile]) -> anyhow::Result<()> {
    if tiles.is_empty() {
        return Ok(());
    }
    let side = tiles[0].side as u32;
    let cols = 6u32.min(tiles.len() as u32);
    let rows = (tiles.len() as u32).div_ceil(cols);
    let (cell_w, cell_h, top) = (side + 12, side + 44, 36u32);
    png(path, (cols * cell_w + 12, rows * cell_h + top), |root| {
        root.draw(&Text::new(title.to_string(), (12, 8), ("sans-serif", 18)))?;
        for (k, t) in tiles.iter().enumerate() {
            let (cx, cy) = ((k as u32 % cols) * cell_w + 12, (k as u32 / cols) * cell_h + top);
            let heat = jointscope_data::preprocess::upsample(&t.cam, jointscope_model::FEATURE_SIDE, t.side);
            let mut buf = Vec::with_capacity(t.rgb.len());
            for (i, px) in t.rgb.chunks(3).enumerate() {
                let v = 1.0 / (1.0 + (-heat[i]).exp());
                let (color, a) = if v >= 0.5 { ([255.0, 30.0, 0.0], (v - 0.5) * 1.2) } else { ([0.0, 80.0, 255.0], (0.5 - v) * 0.3) };
                for c in 0..3 {
                    buf.push((px[c] as f32 * (1.0 - a) + color[c] * a) as u8);
                }
            }
            let el: BitMapElement<(i32, i32)> = BitMapElement::with_owned_buffer((cx as i32, cy as i32), (side, side), buf).ok_or("tile buffer too small")?;
            root.draw(&el)?;
            for (k, line) in t.caption.lines().enumerate() {
                root.draw(&Text::new(line.to_string(), (cx as i32, (cy + side + 4 + 16 * k as u32) as i32), ("sans-serif", 13)))?;
            }
        }
        Ok(())
    })
}

/// Training and validation loss, and validation ROC-AUC, per epoch.
pub fn training_curves(path: &Path, history: &[EpochRecord]) -> anyhow::Result<()> {
    if history.is_empty() {
        return Ok(());
    }
    let tl: Vec<_> = history.iter().map(|r| (r.epoch as f64, r.train_loss)).collect();
    let vl: Vec<_> = history.iter().map(|r| (r.epoch as f64, r.valid_loss)).collect();
    let auc: Vec<_> = history.iter().filter_map(|r| r.valid_auc.map(|a| (r.epoch as f64, a))).collect();
    let ymax = tl.iter().chain(&vl).map(|p| p.1).fold(1.0f64, f64::max).min(5.0) * 1.05;
    let xmax = (history.len() as f64).max(2.0);
    line_chart(
        path,
        "Training",
        "epoch",
        "loss / ROC-AUC",
        (1.0, xmax),
        (0.0, ymax),
        &[("train loss", tl, BLUE), ("valid loss", vl, RED), ("valid ROC-AUC", auc, GREEN)],
    )
}

/// `roc.png` and `pr.png` in `dir`.
pub fn roc_pr(dir: &Path, scores: &[f32], labels: &[bool]) -> anyhow::Result<()> {
    let roc = jointscope_metrics::roc_curve(scores, labels);
    let auc = jointscope_metrics::roc_auc(scores, labels).unwrap_or(f64::NAN);
    line_chart(
        &dir.join("roc.png"),
        &format!("ROC (AUC {auc:.3})"),
        "false-positive rate",
        "sensitivity",
        (0.0, 1.0),
        (0.0, 1.0),
        &[("model", roc, BLUE), ("chance", vec![(0.0, 0.0), (1.0, 1.0)], RGBColor(160, 160, 160))],
    )?;
    let pr = jointscope_metrics::pr_curve(scores, labels);
    let ap = jointscope_metrics::pr_auc(scores, labels).unwrap_or(f64::NAN);
    let base = labels.iter().filter(|y| **y).count() as f64 / labels.len().max(1) as f64;
    line_chart(
        &dir.join("pr.png"),
        &format!("Precision-recall (AP {ap:.3})"),
        "sensitivity (recall)",
        "precision",
        (0.0, 1.0),
        (0.0, 1.0),
        &[("model", pr, BLUE), ("prevalence", vec![(0.0, base), (1.0, base)], RGBColor(160, 160, 160))],
    )
}
