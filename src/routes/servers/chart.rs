//! The traffic chart of the last 30 days, laid out here and drawn by the template as
//! inline SVG (no script; colours come from CSS classes, as the CSP forbids inline style).

use chrono::{Duration, NaiveDate};

use crate::models::server_traffic::TrafficDay;

pub const DAYS: i64 = 30;
const WIDTH: i64 = 720;
const HEIGHT: i64 = 220;
const LEFT: i64 = 64;
const TOP: i64 = 12;
const BOTTOM: i64 = 188;

pub struct Bar {
    pub x: i64,
    pub y: i64,
    pub h: i64,
    pub w: i64,
    /// "rx" or "tx": picks the CSS class.
    pub kind: &'static str,
    pub title: String,
}

pub struct GridLine {
    pub y: i64,
    pub label: String,
}

pub struct DayLabel {
    pub x: i64,
    pub label: String,
}

pub struct TrafficChart {
    pub width: i64,
    pub height: i64,
    pub left: i64,
    pub right: i64,
    pub bottom: i64,
    pub bars: Vec<Bar>,
    pub grid: Vec<GridLine>,
    pub days: Vec<DayLabel>,
    pub total_rx: String,
    pub total_tx: String,
    pub empty: bool,
}

/// Bytes in decimal units, as providers bill traffic.
pub fn human_bytes(b: i64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut v = b.max(0) as f64;
    let mut i = 0;
    while v >= 1000.0 && i < units.len() - 1 {
        v /= 1000.0;
        i += 1;
    }
    if i == 0 || v >= 100.0 {
        format!("{v:.0} {}", units[i])
    } else {
        format!("{v:.1} {}", units[i])
    }
}

/// A "nice" axis maximum at or above `max` (1, 2 or 5 times a power of ten).
fn nice_max(max: i64) -> i64 {
    let mut step: i64 = 1;
    loop {
        for m in [1, 2, 5] {
            if step.saturating_mul(m) >= max {
                return step.saturating_mul(m).max(1);
            }
        }
        step = step.saturating_mul(10);
    }
}

pub fn build(samples: &[TrafficDay], today: NaiveDate) -> TrafficChart {
    let first = today - Duration::days(DAYS - 1);
    let slot = (WIDTH - LEFT - 8) / DAYS;
    let plot_h = BOTTOM - TOP;
    let max = samples
        .iter()
        .map(|d| d.rx_bytes.max(d.tx_bytes))
        .max()
        .unwrap_or(0);
    let top = nice_max(max);
    let scale = |v: i64| ((v.max(0) as f64 / top as f64) * plot_h as f64).round() as i64;
    let mut bars = Vec::new();
    let mut days = Vec::new();
    for i in 0..DAYS {
        let day = first + Duration::days(i);
        let x = LEFT + i * slot;
        if i % 5 == 0 || i == DAYS - 1 {
            days.push(DayLabel {
                x: x + slot / 2,
                label: day.format("%b %d").to_string(),
            });
        }
        let Some(s) = samples.iter().find(|s| s.day == day) else {
            continue;
        };
        let w = (slot - 4) / 2;
        for (kind, v, dx) in [("rx", s.rx_bytes, 2), ("tx", s.tx_bytes, 2 + w)] {
            let h = scale(v);
            bars.push(Bar {
                x: x + dx,
                y: BOTTOM - h,
                h,
                w,
                kind,
                title: format!(
                    "{}: {} {}",
                    day.format("%Y-%m-%d"),
                    human_bytes(v),
                    if kind == "rx" { "in" } else { "out" }
                ),
            });
        }
    }
    let grid = (0..=4)
        .map(|k| GridLine {
            y: BOTTOM - plot_h * k / 4,
            label: human_bytes(top / 4 * k),
        })
        .collect();
    TrafficChart {
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        right: LEFT + slot * DAYS,
        bottom: BOTTOM,
        empty: samples.is_empty(),
        total_rx: human_bytes(samples.iter().map(|d| d.rx_bytes).sum()),
        total_tx: human_bytes(samples.iter().map(|d| d.tx_bytes).sum()),
        bars,
        grid,
        days,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_like_a_bill() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_500_000_000), "1.5 GB");
        assert_eq!(human_bytes(250_000_000_000), "250 GB");
    }

    #[test]
    fn the_tallest_bar_fits_the_plot_and_missing_days_draw_nothing() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        let samples = vec![TrafficDay {
            server_id: 1,
            day: today,
            rx_bytes: 3_000,
            tx_bytes: 1_000,
        }];
        let c = build(&samples, today);
        assert_eq!(c.bars.len(), 2);
        assert!(c.bars.iter().all(|b| b.y >= TOP && b.y + b.h == BOTTOM));
        assert_eq!(c.grid.last().unwrap().label, "5.0 kB");
    }
}
