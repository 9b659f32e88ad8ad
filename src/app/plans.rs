//! The app's side of plans: opening one for a key, the plan overlay's keys,
//! confirming against a fresh observation, and driving a running plan from
//! call results and observations.

use crossterm::event::{KeyCode, KeyEvent};

use super::log::Tone;
use super::{App, Effect, Overlay, PlanView, Running};
use crate::cloud::plan::{self, Confirm, Intent};
use crate::cloud::run::{Next, PlanRun};
use crate::cloud::{ApiError, CallOutput};
use crate::domain::Observation;

impl App {
    /// Whether a key's plan would be offered now (the footer dims the others).
    pub fn offers(&self, intent: Intent) -> bool {
        self.running.is_none() && self.obs.as_ref().is_some_and(|o| plan::plan(o, intent, 0).is_ok())
    }

    pub(super) fn open_plan(&mut self, intent: Intent) {
        if let Some(r) = &self.running {
            let busy = format!("{} is still running: wait for it to finish", r.intent.verb());
            return self.say(busy, Tone::Info);
        }
        let Some(obs) = &self.obs else {
            return self.say("nothing observed yet", Tone::Info);
        };
        match plan::plan(obs, intent, 0) {
            Ok(plan) => self.overlay = Overlay::Plan(PlanView { plan, typed: String::new(), confirming: false }),
            Err(refusal) => self.say(format!("{}: {refusal}", intent.verb()), Tone::Info),
        }
    }

    pub(super) fn on_plan_key(&mut self, key: KeyEvent, effects: &mut Vec<Effect>) -> bool {
        let Overlay::Plan(view) = &mut self.overlay else { return false };
        let typed_confirm = matches!(view.plan.confirm, Confirm::Typed(_));
        match key.code {
            KeyCode::Esc => {
                self.overlay = Overlay::None;
                self.say("cancelled: nothing was changed", Tone::Info);
            }
            KeyCode::Up | KeyCode::Down if view.plan.choices.len() > 1 => {
                let pick =
                    if key.code == KeyCode::Up { view.plan.picked.saturating_sub(1) } else { view.plan.picked + 1 };
                let intent = view.plan.intent;
                if let Some(Ok(plan)) = self.obs.as_ref().map(|o| plan::plan(o, intent, pick)) {
                    self.overlay = Overlay::Plan(PlanView { plan, typed: String::new(), confirming: false });
                }
            }
            KeyCode::Backspace if typed_confirm => {
                view.typed.pop();
            }
            KeyCode::Char(c) if typed_confirm && !c.is_control() && view.typed.chars().count() < 256 => {
                view.typed.push(c);
            }
            KeyCode::Enter if typed_confirm => {
                let Confirm::Typed(want) = &view.plan.confirm else { unreachable!() };
                if view.typed == *want {
                    view.confirming = true;
                    effects.push(Effect::Observe);
                } else {
                    let hint = format!("type {want} exactly, then Enter (Esc cancels)");
                    self.say(hint, Tone::Bad);
                }
            }
            KeyCode::Char('y') | KeyCode::Enter if !typed_confirm => {
                view.confirming = true;
                effects.push(Effect::Observe);
            }
            KeyCode::Char('n') if !typed_confirm => {
                self.overlay = Overlay::None;
                self.say("cancelled: nothing was changed", Tone::Info);
            }
            _ => return false,
        }
        true
    }

    /// The fresh observation for a confirmed plan: check its preconditions,
    /// then start it.
    pub(super) fn on_fresh(&mut self, obs: Observation, effects: &mut Vec<Effect>) -> bool {
        let view = match std::mem::replace(&mut self.overlay, Overlay::None) {
            Overlay::Plan(view) if view.confirming => view,
            other => {
                self.overlay = other;
                return self.on_observed(obs, effects);
            }
        };
        let intent = view.plan.intent;
        let title = view.plan.title.clone();
        match PlanRun::start(view.plan, &obs) {
            Ok(run) => {
                self.note(format!("{}: {title}", intent.verb()), Tone::Action);
                self.running = Some(Running { intent, run, shown: 0 });
                self.say(format!("{}: started", intent.verb()), Tone::Action);
            }
            Err(why) => self.say(format!("{}: {why}", intent.verb()), Tone::Bad),
        }
        self.on_observed(obs, effects)
    }

    pub(super) fn on_call_done(
        &mut self,
        result: Result<CallOutput, ApiError>,
        obs: Observation,
        effects: &mut Vec<Effect>,
    ) -> bool {
        if let Some(r) = &mut self.running {
            r.run.call_done(result);
        }
        self.on_observed(obs, effects)
    }

    /// Moves the running plan on as far as the latest observation allows.
    pub(super) fn drive(&mut self, effects: &mut Vec<Effect>) {
        let (Some(running), Some(obs)) = (&mut self.running, &self.obs) else { return };
        let next = running.run.next(obs);
        let reports: Vec<String> = running.run.reports[running.shown..].to_vec();
        running.shown = running.run.reports.len();
        let intent = running.intent;
        let step = running.run.step() + 1;
        let total = running.run.plan.steps.len();
        let current = running.run.plan.steps.get(running.run.step()).map(ToString::to_string);
        for report in reports {
            let tone = if report.starts_with('✗') { Tone::Bad } else { Tone::Action };
            self.note(report, tone);
        }
        match next {
            Next::Call(call) => {
                self.say(format!("{}: step {step}/{total} {}…", intent.verb(), call.operation()), Tone::Action);
                effects.push(Effect::Call(call));
            }
            Next::Pending => {
                let what = current.unwrap_or_default();
                self.say(format!("{}: step {step}/{total} {what}…", intent.verb()), Tone::Action);
            }
            Next::Done => {
                self.running = None;
                self.say(format!("{}: done", intent.verb()), Tone::Good);
            }
            Next::Failed(why) => {
                self.running = None;
                self.say(format!("{}: {why}", intent.verb()), Tone::Bad);
            }
        }
    }
}
