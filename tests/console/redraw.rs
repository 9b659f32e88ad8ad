//! With no deployment and the prober stopped, a tick writes only the cells
//! that changed (the header's clock and age), not a repaint.

use bluegreen::app::Msg;
use bluegreen::ui::bytes::ByteCount;
use bluegreen::ui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::{CrosstermBackend, TestBackend};

use super::harness::Harness;

fn changed_cells(a: &Harness, b_app: &bluegreen::app::App) -> usize {
    let draw = |app: &bluegreen::app::App| {
        let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
        t.draw(|f| bluegreen::ui::render(app, Theme { monochrome: false }, f)).unwrap();
        t.backend().buffer().clone()
    };
    let (x, y) = (draw(&a.app), draw(b_app));
    x.content.iter().zip(y.content.iter()).filter(|(p, q)| p != q).count()
}

#[test]
fn a_tick_writes_only_what_changed() {
    let mut h = Harness::new("manual-reroute");
    let bytes = ByteCount::default();
    let backend = CrosstermBackend::new(bytes.clone());
    let mut terminal = Terminal::with_options(
        backend,
        ratatui::TerminalOptions { viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, 120, 40)) },
    )
    .unwrap();
    terminal.draw(|f| bluegreen::ui::render(&h.app, Theme { monochrome: false }, f)).unwrap();
    let full = bytes.take();
    assert!(full > 2000, "the first frame paints everything ({full} bytes)");

    let before = h.app.clone();
    let next = h.world.now() + std::time::Duration::from_secs(1);
    h.world.advance(next);
    let redraw = h.send(Msg::Tick { world: next, real: tokio::time::Instant::now(), pace: 1.0 });
    assert!(redraw);
    terminal.draw(|f| bluegreen::ui::render(&h.app, Theme { monochrome: false }, f)).unwrap();
    let tick = bytes.take();
    let cells = {
        let mut prev = Harness::new("manual-reroute");
        prev.app = before;
        changed_cells(&prev, &h.app)
    };
    assert!(cells > 0 && cells < 20, "only the header's time and age change ({cells} cells)");
    assert!(tick < 30 * cells + 40, "{tick} bytes for {cells} changed cells");
    assert!(tick * 20 < full, "a tick costs {tick} bytes, a full paint {full}");
}
