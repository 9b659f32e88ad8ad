//! The fleet view's state: every deployment group of a region as rows,
//! with a selection, a filter (`/`: words, or `column:value`), a sort
//! column (`s`, `S` reverses), the attention view (`a`) and help (`?`).
//! What arrives (the reads, keys, the clock) is a [`FleetMsg`]; `Enter` on
//! a blue/green group asks the runner to open its console. Nothing here
//! changes anything on AWS.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::keymap::Binding;
use crate::cloud::ApiError;
use crate::domain::At;
use crate::domain::fleet::{Active, Fleet, FleetGroup, Row, age};

/// What the fleet takes in.
#[derive(Debug)]
pub enum FleetMsg {
    Key(KeyEvent),
    Resize(u16, u16),
    /// The clock (ages and waits move with it).
    Tick(At),
    /// The groups were read (or could not be).
    Groups(Result<Vec<FleetGroup>, ApiError>, At),
    /// The region's active deployments (and those just ended).
    Active(Result<Vec<Active>, ApiError>, At),
    /// The `CodeDeploy_*` Auto Scaling groups.
    Copies(Result<Vec<String>, ApiError>, At),
    /// A group's console could not be opened.
    OpenFailed(String),
    /// A group's console was opened (its notice is done with).
    Opened,
}

/// What the runner is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FleetEffect {
    /// Open the console on this group.
    Open {
        application: String,
        group: String,
    },
    Suspend,
    Quit,
}

/// A column of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Application,
    Group,
    Style,
    Asgs,
    Balancer,
    Deployment,
    Status,
    Age,
    Waits,
    Leftovers,
    Attention,
}

impl Column {
    /// Every column, in the table's order.
    pub const ALL: [Self; 11] = [
        Self::Application,
        Self::Group,
        Self::Style,
        Self::Asgs,
        Self::Balancer,
        Self::Deployment,
        Self::Status,
        Self::Age,
        Self::Waits,
        Self::Leftovers,
        Self::Attention,
    ];

    /// The columns `s` sorts by, in turn.
    pub const SORTS: [Self; 6] =
        [Self::Application, Self::Group, Self::Style, Self::Status, Self::Age, Self::Attention];

    pub fn title(self) -> &'static str {
        match self {
            Self::Application => "APPLICATION",
            Self::Group => "GROUP",
            Self::Style => "STYLE",
            Self::Asgs => "AUTO SCALING",
            Self::Balancer => "LOAD BALANCER",
            Self::Deployment => "DEPLOYMENT",
            Self::Status => "STATUS",
            Self::Age => "AGE",
            Self::Waits => "WAITS FOR",
            Self::Leftovers => "LEFTOVERS",
            Self::Attention => "ATTENTION",
        }
    }

    /// The name a filter uses (`status:failed`); any prefix of it works.
    pub fn key(self) -> &'static str {
        match self {
            Self::Application => "app",
            Self::Group => "group",
            Self::Style => "style",
            Self::Asgs => "asg",
            Self::Balancer => "lb",
            Self::Deployment => "deployment",
            Self::Status => "status",
            Self::Age => "age",
            Self::Waits => "waits",
            Self::Leftovers => "leftovers",
            Self::Attention => "attention",
        }
    }

    /// The column a filter names, by any prefix of its key (`st` is ambiguous).
    pub fn named(name: &str) -> Option<Self> {
        let name = name.to_ascii_lowercase();
        if name.is_empty() {
            return None;
        }
        let found: Vec<Self> = Self::ALL.into_iter().filter(|c| c.key().starts_with(&name)).collect();
        match found.as_slice() {
            [one] => Some(*one),
            _ => Self::ALL.into_iter().find(|c| c.key() == name),
        }
    }

    /// The cell's text for a row.
    pub fn cell(self, row: &Row, now: At) -> String {
        match self {
            Self::Application => row.application.clone(),
            Self::Group => row.group.clone(),
            Self::Style => row.style.word().to_string(),
            Self::Asgs => row.asgs.join(","),
            Self::Balancer => row.balancer_text(),
            Self::Deployment => row.latest.as_ref().map(|l| l.id.clone()).unwrap_or_default(),
            Self::Status => row.latest.as_ref().map_or_else(|| "none".to_string(), |l| l.status.as_str().to_string()),
            Self::Age => row.age(now).map(age).unwrap_or_default(),
            Self::Waits => row.waits_text(now),
            Self::Leftovers => match row.leftovers.as_slice() {
                [] => String::new(),
                [one] => one.clone(),
                [first, rest @ ..] => format!("{first} +{}", rest.len()),
            },
            Self::Attention => row.attention_text(),
        }
    }
}

/// One term of a filter: words anywhere, or a word in one column.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    column: Option<Column>,
    text: String,
}

/// A filter: every term must match (case does not matter).
fn parse_filter(text: &str) -> Result<Vec<Term>, String> {
    text.split_whitespace()
        .map(|word| match word.split_once(':') {
            Some((name, value)) => match Column::named(name) {
                Some(column) => Ok(Term { column: Some(column), text: value.to_lowercase() }),
                None => Err(format!(
                    "no column '{}' (hint: {})",
                    crate::domain::clean(name, 20),
                    Column::ALL.map(Column::key).join(", ")
                )),
            },
            None => Ok(Term { column: None, text: word.to_lowercase() }),
        })
        .collect()
}

fn matches(terms: &[Term], row: &Row, now: At) -> bool {
    terms.iter().all(|t| match t.column {
        Some(c) => c.cell(row, now).to_lowercase().contains(&t.text),
        None => Column::ALL.iter().any(|c| c.cell(row, now).to_lowercase().contains(&t.text)),
    })
}

/// Ended deployments remembered with their final status.
const KEEP_ENDED: usize = 1000;

/// What each read left to say when it last failed.
#[derive(Debug, Clone, Default)]
struct Reads {
    groups: Option<String>,
    active: Option<String>,
    copies: Option<String>,
}

/// The fleet view.
#[derive(Debug)]
#[expect(clippy::struct_excessive_bools, reason = "each is one switch of the view")]
pub struct FleetView {
    region: String,
    source: String,
    fleet: Fleet,
    rows: Vec<Row>,
    /// Indices into `rows` of the rows shown, in the order shown.
    shown: Vec<usize>,
    /// The widest cell of each column among the rows shown (measured when
    /// they change, not for every frame).
    widths: [usize; Column::ALL.len()],
    /// The selected row, by its names (kept through re-sorting and reads).
    selected: Option<(String, String)>,
    /// The first row shown.
    scroll: usize,
    sort: Column,
    reversed: bool,
    filter: String,
    /// The filter being typed (`/`), with what is wrong with it.
    editing: Option<(String, Option<String>)>,
    attention_only: bool,
    help: bool,
    notice: Option<String>,
    failed: Reads,
    now: At,
    size: (u16, u16),
    read_only: bool,
    quit: bool,
}

impl FleetView {
    pub fn new(region: &str, source: &str, read_only: bool, filter: &str, now: At) -> Self {
        Self {
            region: region.to_string(),
            source: source.to_string(),
            fleet: Fleet::default(),
            rows: Vec::new(),
            shown: Vec::new(),
            widths: [0; Column::ALL.len()],
            selected: None,
            scroll: 0,
            sort: Column::Application,
            reversed: false,
            filter: filter.to_string(),
            editing: None,
            attention_only: false,
            help: false,
            notice: None,
            failed: Reads::default(),
            now,
            size: (120, 40),
            read_only,
            quit: false,
        }
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn now(&self) -> At {
        self.now
    }

    pub fn fleet(&self) -> &Fleet {
        &self.fleet
    }

    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The rows shown, in order.
    pub fn shown(&self) -> impl Iterator<Item = &Row> {
        self.shown.iter().map(|&i| &self.rows[i])
    }

    /// The widest cell of `column` among the rows shown.
    pub fn widest(&self, column: Column) -> usize {
        Column::ALL.iter().position(|c| *c == column).map_or(0, |i| self.widths[i])
    }

    pub fn shown_len(&self) -> usize {
        self.shown.len()
    }

    /// The selected row's place among those shown.
    pub fn selected_index(&self) -> Option<usize> {
        let (app, group) = self.selected.as_ref()?;
        self.shown.iter().position(|&i| self.rows[i].application == *app && self.rows[i].group == *group)
    }

    pub fn scroll(&self) -> usize {
        self.scroll
    }

    pub fn sort(&self) -> (Column, bool) {
        (self.sort, self.reversed)
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// The filter being typed, and what is wrong with it.
    pub fn editing(&self) -> Option<(&str, Option<&str>)> {
        self.editing.as_ref().map(|(t, e)| (t.as_str(), e.as_deref()))
    }

    pub fn attention_only(&self) -> bool {
        self.attention_only
    }

    pub fn help(&self) -> bool {
        self.help
    }

    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    pub fn read_only(&self) -> bool {
        self.read_only
    }

    pub fn quit(&self) -> bool {
        self.quit
    }

    pub fn size(&self) -> (u16, u16) {
        self.size
    }

    /// Whether the groups have been read once.
    pub fn loaded(&self) -> bool {
        self.fleet.groups_at.is_some()
    }

    /// The reads that failed last time, in words.
    pub fn failures(&self) -> Vec<&str> {
        [&self.failed.groups, &self.failed.active, &self.failed.copies]
            .into_iter()
            .filter_map(|f| f.as_deref())
            .collect()
    }

    /// How many rows need attention.
    pub fn attention_count(&self) -> usize {
        self.rows.iter().filter(|r| r.needs_attention()).count()
    }

    /// Rows of the table that fit on the screen (the rest is the header,
    /// the column titles, the hidden-rows line, a notice and the footer).
    pub fn visible_rows(&self) -> usize {
        usize::from(self.size.1).saturating_sub(5).max(1)
    }

    /// Takes one message in; gives what the runner should do.
    pub fn update(&mut self, msg: FleetMsg) -> Vec<FleetEffect> {
        let mut effects = Vec::new();
        match msg {
            FleetMsg::Key(key) => {
                let shape = self.shape();
                self.on_key(key, &mut effects);
                if self.shape() != shape {
                    self.reshape();
                }
            }
            FleetMsg::Resize(w, h) => {
                self.size = (w, h);
                self.follow();
            }
            FleetMsg::Tick(now) => {
                // Ages and waits move: their widths, sort and filter with them.
                self.now = now;
                self.reshape();
            }
            FleetMsg::Groups(result, at) => {
                match result {
                    Ok(groups) => {
                        self.fleet.groups = groups;
                        self.fleet.groups_at = Some(at);
                        self.failed.groups = None;
                    }
                    Err(e) => self.failed.groups = Some(format!("reading the groups failed: {e}")),
                }
                self.now = self.now.max(at);
                self.rebuild();
            }
            FleetMsg::Active(result, at) => {
                match result {
                    Ok(mut active) => {
                        // Ended deployments keep their final word until a
                        // group's summary names a newer one.
                        let kept: Vec<Active> = std::mem::take(&mut self.fleet.active)
                            .into_iter()
                            .filter(|a| {
                                !a.deployment.is_active() && !active.iter().any(|n| n.deployment.id == a.deployment.id)
                            })
                            .take(KEEP_ENDED)
                            .collect();
                        active.extend(kept);
                        self.fleet.active = active;
                        self.fleet.active_at = Some(at);
                        self.failed.active = None;
                    }
                    Err(e) => self.failed.active = Some(format!("reading the active deployments failed: {e}")),
                }
                self.now = self.now.max(at);
                self.rebuild();
            }
            FleetMsg::Copies(result, at) => {
                match result {
                    Ok(names) => {
                        self.fleet.copies = Some(names);
                        self.fleet.copies_at = Some(at);
                        self.failed.copies = None;
                    }
                    Err(e) => self.failed.copies = Some(format!("reading the Auto Scaling groups failed: {e}")),
                }
                self.now = self.now.max(at);
                self.rebuild();
            }
            FleetMsg::OpenFailed(why) => self.notice = Some(why),
            FleetMsg::Opened => self.notice = None,
        }
        effects
    }

    /// What decides which rows are shown and in what order, besides the
    /// rows and the clock.
    fn shape(&self) -> (String, bool, Column, bool) {
        (self.filter.clone(), self.attention_only, self.sort, self.reversed)
    }

    /// Rebuilds the rows from the reads, and what is shown of them.
    fn rebuild(&mut self) {
        self.rows = self.fleet.rows();
        self.reshape();
    }

    /// Filters and sorts the rows, measures the columns, keeps the selection.
    fn reshape(&mut self) {
        let terms = parse_filter(&self.filter).unwrap_or_default();
        let now = self.now;
        let mut shown: Vec<usize> = (0..self.rows.len())
            .filter(|&i| !self.attention_only || self.rows[i].needs_attention())
            .filter(|&i| matches(&terms, &self.rows[i], now))
            .collect();
        let rows = &self.rows;
        let key = |r: &Row| (r.application.clone(), r.group.clone());
        shown.sort_by(|&a, &b| {
            let (x, y) = (&rows[a], &rows[b]);
            let by = match self.sort {
                Column::Age => {
                    y.latest.as_ref().and_then(|l| l.created).cmp(&x.latest.as_ref().and_then(|l| l.created))
                }
                Column::Attention => {
                    // Rows needing attention first, the most pressing first.
                    let rank = |r: &Row| (r.attention.is_empty(), r.attention.first().copied());
                    rank(x).cmp(&rank(y))
                }
                column => column.cell(x, now).to_lowercase().cmp(&column.cell(y, now).to_lowercase()),
            };
            let by = if self.reversed { by.reverse() } else { by };
            by.then_with(|| key(x).cmp(&key(y)))
        });
        self.shown = shown;
        self.widths = Column::ALL
            .map(|c| self.shown.iter().map(|&i| crate::text::width(&c.cell(&self.rows[i], now))).max().unwrap_or(0));
        if self.selected_index().is_none() {
            let first = self.shown.first().map(|&i| (self.rows[i].application.clone(), self.rows[i].group.clone()));
            self.selected = first;
        }
        self.follow();
    }

    /// Keeps the selection within the rows shown.
    fn follow(&mut self) {
        let visible = self.visible_rows();
        let at = self.selected_index().unwrap_or(0);
        let last_start = self.shown.len().saturating_sub(visible);
        if at < self.scroll {
            self.scroll = at;
        } else if at >= self.scroll + visible {
            self.scroll = at + 1 - visible;
        }
        self.scroll = self.scroll.min(last_start);
    }

    fn select(&mut self, index: usize) {
        if let Some(&i) = self.shown.get(index.min(self.shown.len().saturating_sub(1))) {
            self.selected = Some((self.rows[i].application.clone(), self.rows[i].group.clone()));
        }
        self.follow();
    }

    /// The selected row.
    pub fn selected(&self) -> Option<&Row> {
        self.selected_index().map(|i| &self.rows[self.shown[i]])
    }

    fn on_key(&mut self, key: KeyEvent, effects: &mut Vec<FleetEffect>) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            self.quit = true;
            effects.push(FleetEffect::Quit);
            return;
        }
        if ctrl && key.code == KeyCode::Char('z') {
            effects.push(FleetEffect::Suspend);
            return;
        }
        if let Some((text, _)) = &mut self.editing {
            match key.code {
                KeyCode::Esc => self.editing = None,
                KeyCode::Enter => match parse_filter(text) {
                    Ok(_) => {
                        self.filter = text.trim().to_string();
                        self.editing = None;
                    }
                    Err(e) => self.editing.as_mut().expect("editing").1 = Some(e),
                },
                KeyCode::Backspace => {
                    text.pop();
                    self.editing.as_mut().expect("editing").1 = None;
                }
                KeyCode::Char(c) if !ctrl && !c.is_control() && text.chars().count() < 80 => {
                    text.push(c);
                    self.editing.as_mut().expect("editing").1 = None;
                }
                _ => {}
            }
            return;
        }
        if self.help {
            if matches!(key.code, KeyCode::Esc | KeyCode::Char('?' | 'q') | KeyCode::Enter) {
                self.help = false;
            }
            return;
        }
        let Some(action) = action_for(key) else { return };
        self.notice = None;
        let at = self.selected_index().unwrap_or(0);
        let page = self.visible_rows().saturating_sub(1).max(1);
        match action {
            FleetAction::Up => self.select(at.saturating_sub(1)),
            FleetAction::Down => self.select(at + 1),
            FleetAction::PageUp => self.select(at.saturating_sub(page)),
            FleetAction::PageDown => self.select(at + page),
            FleetAction::Top => self.select(0),
            FleetAction::Bottom => self.select(usize::MAX),
            FleetAction::Open => {
                let Some(r) = self.selected() else { return };
                let (application, group) = (r.application.clone(), r.group.clone());
                if r.style.is_blue_green() {
                    self.notice = Some(format!("opening {application}/{group}…"));
                    effects.push(FleetEffect::Open { application, group });
                } else {
                    self.notice = Some(format!(
                        "{application}/{group} deploys in place: the console watches blue/green deployment groups"
                    ));
                }
            }
            FleetAction::Filter => self.editing = Some((self.filter.clone(), None)),
            FleetAction::Clear => {
                if !self.filter.is_empty() || self.attention_only {
                    self.filter.clear();
                    self.attention_only = false;
                }
            }
            FleetAction::Sort => {
                let i = Column::SORTS.iter().position(|c| *c == self.sort).unwrap_or(0);
                self.sort = Column::SORTS[(i + 1) % Column::SORTS.len()];
                self.reversed = false;
            }
            FleetAction::Reverse => self.reversed = !self.reversed,
            FleetAction::Attention => self.attention_only = !self.attention_only,
            FleetAction::Help => self.help = true,
            FleetAction::Quit => {
                self.quit = true;
                effects.push(FleetEffect::Quit);
            }
        }
    }

    /// The line that says what the table holds: `12 groups · 5 apps · 3
    /// need attention · read 4s ago`.
    pub fn summary(&self) -> String {
        let (groups, apps) = self.fleet.counts();
        let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut parts = vec![plural(groups, "group", "groups"), plural(apps, "app", "apps")];
        let attention = self.attention_count();
        if attention > 0 {
            parts.push(format!("{attention} need attention"));
        }
        if self.shown.len() != self.rows.len() {
            parts.push(format!("{} shown", self.shown.len()));
        }
        if let Some(at) = self.fleet.active_at.max(self.fleet.groups_at) {
            parts.push(format!("read {} ago", age(self.now.since(at))));
        }
        parts.join(" · ")
    }
}

/// What a key asks of the fleet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FleetAction {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Filter,
    Clear,
    Sort,
    Reverse,
    Attention,
    Help,
    Quit,
}

/// The fleet's keys, in the order the footer and help show them.
pub const FLEET_KEYMAP: &[Binding<FleetAction>] = &[
    Binding {
        keys: &[KeyCode::Up, KeyCode::Char('k')],
        label: "↑/k",
        action: FleetAction::Up,
        hint: None,
        help: "select the group above",
    },
    Binding {
        keys: &[KeyCode::Down, KeyCode::Char('j')],
        label: "↓/j",
        action: FleetAction::Down,
        hint: None,
        help: "select the group below",
    },
    Binding { keys: &[KeyCode::PageUp], label: "PgUp", action: FleetAction::PageUp, hint: None, help: "a page up" },
    Binding {
        keys: &[KeyCode::PageDown],
        label: "PgDn",
        action: FleetAction::PageDown,
        hint: None,
        help: "a page down",
    },
    Binding { keys: &[KeyCode::Home], label: "Home", action: FleetAction::Top, hint: None, help: "the first group" },
    Binding { keys: &[KeyCode::End], label: "End", action: FleetAction::Bottom, hint: None, help: "the last group" },
    Binding {
        keys: &[KeyCode::Enter],
        label: "Enter",
        action: FleetAction::Open,
        hint: Some("open"),
        help: "open the console on the selected group (Esc there comes back)",
    },
    Binding {
        keys: &[KeyCode::Char('/')],
        label: "/",
        action: FleetAction::Filter,
        hint: Some("filter"),
        help: "filter: words anywhere, or column:value (status:failed app:web)",
    },
    Binding {
        keys: &[KeyCode::Esc],
        label: "Esc",
        action: FleetAction::Clear,
        hint: None,
        help: "clear the filter and the attention view",
    },
    Binding {
        keys: &[KeyCode::Char('s')],
        label: "s",
        action: FleetAction::Sort,
        hint: Some("sort"),
        help: "sort by the next column (application, group, style, status, age, attention)",
    },
    Binding {
        keys: &[KeyCode::Char('S')],
        label: "S",
        action: FleetAction::Reverse,
        hint: None,
        help: "reverse the sort",
    },
    Binding {
        keys: &[KeyCode::Char('a')],
        label: "a",
        action: FleetAction::Attention,
        hint: Some("attention"),
        help: "only the groups that need attention (failed, stopped, ready, terminating, leftovers)",
    },
    Binding {
        keys: &[KeyCode::Char('?')],
        label: "?",
        action: FleetAction::Help,
        hint: Some("help"),
        help: "show this help",
    },
    Binding { keys: &[KeyCode::Char('q')], label: "q", action: FleetAction::Quit, hint: Some("quit"), help: "quit" },
];

/// The fleet's action for a key.
pub fn action_for(key: KeyEvent) -> Option<FleetAction> {
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return None;
    }
    FLEET_KEYMAP.iter().find(|b| b.keys.contains(&key.code)).map(|b| b.action)
}

/// Four groups of three applications: succeeded, failed in place, in
/// progress, never deployed.
#[cfg(test)]
pub(crate) fn fixture() -> FleetView {
    use crate::domain::fleet::{Latest, Style};
    use crate::domain::{DeploymentStatus, LoadBalancerKind};
    let group = |app: &str, name: &str, status: Option<DeploymentStatus>, created: u64| FleetGroup {
        application: app.into(),
        name: name.into(),
        style: if name.starts_with("inplace") { Style::InPlace } else { Style::Copy },
        asgs: vec![format!("{name}-asg")],
        balancer: Some((LoadBalancerKind::Application, vec![format!("{name}-tg")])),
        latest: status.map(|status| Latest {
            id: format!("d-{name}"),
            status,
            created: Some(At(created)),
            ended: None,
        }),
    };
    let mut view = FleetView::new("us-east-1", "aws", false, "", At(100_000_000));
    view.update(FleetMsg::Groups(
        Ok(vec![
            group("web", "web-dg", Some(DeploymentStatus::Succeeded), 10_000_000),
            group("web", "inplace-dg", Some(DeploymentStatus::Failed), 20_000_000),
            group("api", "api-dg", Some(DeploymentStatus::InProgress), 90_000_000),
            group("batch", "batch-dg", None, 0),
        ]),
        At(100_000_000),
    ));
    view
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> FleetMsg {
        FleetMsg::Key(KeyEvent::new(c, KeyModifiers::NONE))
    }

    /// `/`, the old filter erased, `text`, Enter.
    fn typed(view: &mut FleetView, text: &str) {
        view.update(key(KeyCode::Char('/')));
        for _ in 0..view.filter().chars().count() {
            view.update(key(KeyCode::Backspace));
        }
        for c in text.chars() {
            view.update(key(KeyCode::Char(c)));
        }
        view.update(key(KeyCode::Enter));
    }

    fn fleet() -> FleetView {
        fixture()
    }

    fn names(view: &FleetView) -> Vec<String> {
        view.shown().map(|r| r.group.clone()).collect()
    }

    fn active(id: &str, status: crate::domain::DeploymentStatus) -> Active {
        use crate::domain::{Creator, Deployment, Overview};
        Active {
            application: "api".into(),
            group: "api-dg".into(),
            deployment: Deployment {
                id: id.into(),
                status,
                creator: Creator::User,
                revision: None,
                previous_revision: None,
                original_asg: Some("api-dg-asg".into()),
                replacement_asg: None,
                created_at: At(99_000_000),
                started_at: None,
                completed_at: None,
                overview: Overview::default(),
                wait: None,
                termination_wait_started: false,
                error: None,
                rollback: None,
                status_messages: Vec::new(),
                targets: Vec::new(),
            },
        }
    }

    fn active_ids(view: &FleetView) -> Vec<(String, crate::domain::DeploymentStatus)> {
        view.fleet().active.iter().map(|a| (a.deployment.id.clone(), a.deployment.status.clone())).collect()
    }

    #[test]
    fn an_ended_deployment_keeps_its_final_word_until_a_newer_read() {
        use crate::domain::DeploymentStatus::{InProgress, Ready, Succeeded};
        let mut view = fleet();
        view.update(FleetMsg::Active(Ok(vec![active("d-1", InProgress)]), At(100_001_000)));
        assert_eq!(active_ids(&view), [("d-1".to_string(), InProgress)]);
        // It ended: the read of ended ids brings its final status.
        view.update(FleetMsg::Active(Ok(vec![active("d-1", Succeeded)]), At(100_002_000)));
        assert_eq!(active_ids(&view), [("d-1".to_string(), Succeeded)], "the new word replaces the old, once");
        // The next region-wide list no longer names it: its end is kept.
        view.update(FleetMsg::Active(Ok(vec![active("d-2", Ready)]), At(100_003_000)));
        assert_eq!(active_ids(&view), [("d-2".to_string(), Ready), ("d-1".to_string(), Succeeded)]);
        // One that was active and is no longer listed is not kept as active.
        view.update(FleetMsg::Active(Ok(Vec::new()), At(100_004_000)));
        assert_eq!(active_ids(&view), [("d-1".to_string(), Succeeded)]);
        assert_eq!(view.fleet().active_at, Some(At(100_004_000)));
    }

    #[test]
    fn q_quits_a_resize_is_kept_and_attention_is_counted() {
        let mut view = fleet();
        assert!(!view.quit());
        view.update(FleetMsg::Resize(97, 31));
        assert_eq!(view.size(), (97, 31));
        assert_eq!(view.attention_count(), 1, "the failed in-place group");
        assert_eq!(view.fleet().groups.len(), 4);
        view.update(key(KeyCode::Char('q')));
        assert!(view.quit());
    }

    #[test]
    fn ctrl_c_quits_and_ctrl_z_suspends_even_while_typing_a_filter() {
        let ctrl = |c: char| FleetMsg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
        let mut view = fleet();
        view.update(key(KeyCode::Char('/')));
        assert!(matches!(view.update(ctrl('z'))[..], [FleetEffect::Suspend]));
        assert!(!view.quit());
        assert_eq!(view.editing(), Some(("", None)), "a suspended prompt is still there, empty");
        assert!(view.update(key(KeyCode::Char('z'))).is_empty());
        assert!(matches!(view.update(ctrl('c'))[..], [FleetEffect::Quit]));
        assert!(view.quit());
    }

    #[test]
    fn a_filter_takes_no_control_keys_and_at_most_80_characters() {
        let mut view = fleet();
        view.update(key(KeyCode::Char('/')));
        view.update(FleetMsg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)));
        view.update(key(KeyCode::Char('\u{1b}')));
        assert_eq!(view.editing().map(|e| e.0), Some(""));
        for _ in 0..100 {
            view.update(key(KeyCode::Char('w')));
        }
        assert_eq!(view.editing().map(|e| e.0.chars().count()), Some(80));
    }

    #[test]
    fn the_summary_says_attention_only_when_some_row_needs_it() {
        let mut view = fleet();
        assert!(view.summary().contains("4 groups · 3 apps · 1 need attention"), "{}", view.summary());
        typed(&mut view, "status:succeeded");
        assert!(view.summary().contains("1 need attention · 1 shown"), "{}", view.summary());
        let quiet = view.fleet().groups.iter().filter(|g| g.name != "inplace-dg").cloned().collect();
        view.update(FleetMsg::Groups(Ok(quiet), At(100_000_000)));
        assert!(!view.summary().contains("attention"), "{}", view.summary());
    }

    #[test]
    fn sorted_by_application_then_cycled_and_reversed() {
        let mut view = fleet();
        assert_eq!(names(&view), ["api-dg", "batch-dg", "inplace-dg", "web-dg"]);
        view.update(key(KeyCode::Char('s')));
        assert_eq!(view.sort(), (Column::Group, false));
        view.update(key(KeyCode::Char('s')));
        view.update(key(KeyCode::Char('s')));
        assert_eq!(view.sort(), (Column::Status, false));
        assert_eq!(names(&view), ["inplace-dg", "api-dg", "batch-dg", "web-dg"], "Failed, InProgress, none, Succeeded");
        view.update(key(KeyCode::Char('s')));
        assert_eq!(view.sort().0, Column::Age);
        assert_eq!(names(&view)[..3], ["api-dg", "inplace-dg", "web-dg"], "the newest first");
        view.update(key(KeyCode::Char('S')));
        assert_eq!(names(&view)[3], "api-dg", "reversed: the newest last");
        view.update(key(KeyCode::Char('s')));
        assert_eq!(view.sort(), (Column::Attention, false), "a new column sorts forwards");
        assert_eq!(names(&view)[0], "inplace-dg");
        view.update(key(KeyCode::Char('s')));
        assert_eq!(view.sort().0, Column::Application, "round again");
    }

    #[test]
    fn filters_by_words_or_by_a_column() {
        let mut view = fleet();
        typed(&mut view, "status:fail");
        assert_eq!(names(&view), ["inplace-dg"]);
        assert_eq!(view.filter(), "status:fail");
        typed(&mut view, "");
        assert_eq!(view.shown_len(), 4, "an empty filter shows all");
        typed(&mut view, "WEB tg");
        assert_eq!(names(&view), ["inplace-dg", "web-dg"], "every word, anywhere, any case");
        typed(&mut view, "app:web group:web");
        assert_eq!(names(&view), ["web-dg"]);
        // A column that is not there: said, and the filter stays as it was.
        view.update(key(KeyCode::Char('/')));
        for c in " colour:red".chars() {
            view.update(key(KeyCode::Char(c)));
        }
        view.update(key(KeyCode::Enter));
        let (text, wrong) = view.editing().expect("still editing");
        assert_eq!(text, "app:web group:web colour:red");
        assert!(wrong.unwrap().starts_with("no column 'colour' (hint: app, group,"), "{wrong:?}");
        view.update(key(KeyCode::Esc));
        assert!(view.editing().is_none());
        assert_eq!(view.filter(), "app:web group:web");
        view.update(key(KeyCode::Esc));
        assert_eq!(view.shown_len(), 4, "Esc clears the filter");
    }

    #[test]
    fn the_attention_view_and_the_selection_that_follows() {
        let mut view = fleet();
        view.update(key(KeyCode::Down));
        assert_eq!(view.selected().unwrap().group, "batch-dg");
        view.update(key(KeyCode::Char('a')));
        assert_eq!(names(&view), ["inplace-dg"]);
        assert_eq!(view.selected().unwrap().group, "inplace-dg", "a hidden selection moves to a shown row");
        assert!(view.summary().starts_with("4 groups · 3 apps · 1 need attention · 1 shown"));
        let effects = view.update(key(KeyCode::Enter));
        assert!(effects.is_empty(), "an in-place group has no console");
        assert!(view.notice().unwrap().contains("deploys in place"));
        view.update(key(KeyCode::Char('a')));
        view.update(key(KeyCode::End));
        assert_eq!(view.selected().unwrap().group, "web-dg");
        let effects = view.update(key(KeyCode::Enter));
        assert_eq!(effects, vec![FleetEffect::Open { application: "web".into(), group: "web-dg".into() }]);
        view.update(key(KeyCode::Home));
        assert_eq!(view.selected().unwrap().group, "api-dg");
        view.update(key(KeyCode::Up));
        assert_eq!(view.selected().unwrap().group, "api-dg", "stays at the top");
    }

    #[test]
    fn the_window_follows_the_selection() {
        let mut view = fleet();
        view.update(FleetMsg::Resize(80, 7));
        assert_eq!(view.visible_rows(), 2);
        view.update(key(KeyCode::Down));
        view.update(key(KeyCode::Down));
        assert_eq!((view.selected_index(), view.scroll()), (Some(2), 1));
        view.update(key(KeyCode::PageDown));
        assert_eq!((view.selected_index(), view.scroll()), (Some(3), 2));
        view.update(key(KeyCode::Home));
        assert_eq!(view.scroll(), 0);
    }

    #[test]
    fn column_names_by_prefix() {
        assert_eq!(Column::named("st"), None, "status or style");
        assert_eq!(Column::named("sta"), Some(Column::Status));
        assert_eq!(Column::named("a"), None, "app, asg, age, attention");
        assert_eq!(Column::named("APP"), Some(Column::Application));
        assert_eq!(Column::named("lb"), Some(Column::Balancer));
        assert_eq!(Column::named(""), None);
    }
}
