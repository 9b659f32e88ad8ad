//! The app's side of plans: opening one for a key, the plan overlay's keys
//! (scrolling, picking, confirming), confirming against a fresh observation,
//! and driving a running plan from call results and observations.
//!
//! A plan is confirmed only while it is drawn and after every row of it has
//! been on screen: what runs is what was read.

use crossterm::event::{KeyCode, KeyEvent};

use super::log::Tone;
use super::{ActivePlan, App, Effect, Overlay, PlanEnd, PlanView};
use crate::cloud::plan::{self, Confirm, Intent, Plan, Step};
use crate::cloud::run::{Next, PlanRun};
use crate::cloud::{ApiError, Call, CallOutput, WaitType};
use crate::domain::Observation;

impl App {
    /// Whether a key's plan would be offered now (the footer dims the others).
    pub fn offers(&self, intent: Intent) -> bool {
        self.read_only.is_none()
            && self.running.is_none()
            && self.obs.as_ref().is_some_and(|o| plan::plan(o, intent, 0).is_ok())
    }

    pub(super) fn open_plan(&mut self, intent: Intent) {
        if let Some(why) = &self.read_only {
            let text = format!("{}: read-only ({why}): nothing is changed from here", intent.verb());
            return self.say(text, Tone::Info);
        }
        if let Some(r) = &self.running {
            let busy = format!("{} is still running: wait for it to finish", r.intent.verb());
            return self.say(busy, Tone::Info);
        }
        let Some(obs) = &self.obs else {
            return self.say("nothing observed yet", Tone::Info);
        };
        match plan::plan(obs, intent, 0) {
            Ok(plan) => self.show_plan(plan),
            Err(refusal) => self.say(format!("{}: {refusal}", intent.verb()), Tone::Info),
        }
    }

    fn show_plan(&mut self, plan: Plan) {
        self.plan_end = None;
        self.open(Overlay::Plan(PlanView::new(plan)));
    }

    pub(super) fn on_plan_key(&mut self, key: KeyEvent, effects: &mut Vec<Effect>) -> bool {
        let Overlay::Plan(view) = &self.overlay else { return false };
        let choices = view.plan.choices.len() > 1;
        let picking = choices && matches!(key.code, KeyCode::Up | KeyCode::Down);
        if !picking && self.scroll_overlay(key.code) {
            return true;
        }
        let Overlay::Plan(view) = &mut self.overlay else { return false };
        let typed_confirm = matches!(view.plan.confirm, Confirm::Typed(_));
        match key.code {
            KeyCode::Esc => self.cancel_plan(),
            KeyCode::Char('n') if !typed_confirm => self.cancel_plan(),
            KeyCode::Up | KeyCode::Down => {
                let pick =
                    if key.code == KeyCode::Up { view.plan.picked.saturating_sub(1) } else { view.plan.picked + 1 };
                let intent = view.plan.intent;
                if let Some(Ok(plan)) = self.obs.as_ref().map(|o| plan::plan(o, intent, pick)) {
                    self.show_plan(plan);
                }
            }
            KeyCode::Backspace if typed_confirm => {
                view.typed.pop();
            }
            KeyCode::Char(c) if typed_confirm && !c.is_control() && view.typed.chars().count() < 256 => {
                view.typed.push(c);
            }
            KeyCode::Enter | KeyCode::Char('y') if !view.seen_all && (key.code == KeyCode::Enter || !typed_confirm) => {
                self.say("read the whole plan first: ↓ or PgDn shows the rest (Esc cancels)", Tone::Bad);
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
            _ => return false,
        }
        true
    }

    /// While the fresh observation is awaited only Esc acts: it closes the
    /// plan, and the observation, when it comes, starts nothing.
    pub(super) fn on_confirming_key(&mut self, key: KeyEvent) -> bool {
        if key.code != KeyCode::Esc {
            return false;
        }
        self.cancel_plan();
        true
    }

    fn cancel_plan(&mut self) {
        self.open(Overlay::None);
        self.say("cancelled: nothing was changed", Tone::Info);
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
                if matches!(intent, Intent::Promote | Intent::Reattach) {
                    // Traffic is about to move: judge the cutover from now.
                    self.traffic.expect_cutover(self.real_now);
                }
                self.note(format!("{}: {title}", intent.verb()), Tone::Action);
                self.running = Some(ActivePlan { intent, run, shown: 0 });
                self.say(format!("{}: started", intent.verb()), Tone::Action);
            }
            Err(why) => {
                let text = format!("{}: {why}", intent.verb());
                self.plan_end = Some(PlanEnd::Failed(text.clone()));
                self.note(text.clone(), Tone::Bad);
                self.say(text, Tone::Bad);
            }
        }
        self.on_observed(obs, effects)
    }

    /// The fresh observation could not be made: nothing runs; the plan stays
    /// open with the error, to try again (y) or close (Esc).
    pub(super) fn on_fresh_failed(&mut self, error: &ApiError) -> bool {
        let Overlay::Plan(view) = &mut self.overlay else { return false };
        if !view.confirming {
            return false;
        }
        view.confirming = false;
        let verb = view.plan.intent.verb();
        let text = format!(
            "{verb}: could not check the preconditions ({error}); nothing was changed (confirm to try again, Esc closes)"
        );
        self.say(text, Tone::Bad);
        true
    }

    pub(super) fn on_call_done(
        &mut self,
        result: Result<CallOutput, ApiError>,
        obs: Option<Observation>,
        effects: &mut Vec<Effect>,
    ) -> bool {
        if let Some(r) = &mut self.running {
            r.run.call_done(result, obs.as_ref());
        }
        if let Some(obs) = obs {
            self.on_observed(obs, effects)
        } else {
            self.drive(effects);
            true
        }
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
        let done = matches!(next, Next::Done).then(|| done_words(&running.run));
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
                let words = done.unwrap_or_default();
                self.plan_end = Some(PlanEnd::Done(words.clone()));
                self.note(words.clone(), Tone::Good);
                self.say(words, Tone::Good);
            }
            Next::Failed(why) => {
                self.running = None;
                let text = format!("{}: {why}", intent.verb());
                self.plan_end = Some(PlanEnd::Failed(text.clone()));
                self.note(text.clone(), Tone::Bad);
                self.say(text, Tone::Bad);
            }
        }
    }
}

/// What a finished plan did, in the words of what it changed.
fn done_words(run: &PlanRun) -> String {
    let calls: Vec<&Call> = run
        .plan
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Call(c) => Some(c),
            Step::Wait { .. } => None,
        })
        .collect();
    match (calls.as_slice(), &run.last_output) {
        ([Call::CreateDeployment { .. }], Some(CallOutput::DeploymentId(id))) => {
            format!("deployment {id} created: green is being launched and installed")
        }
        ([Call::ContinueDeployment { deployment_id, wait: WaitType::ReadyWait }], _) => {
            format!("{deployment_id} continues: traffic moves to green")
        }
        ([Call::ContinueDeployment { deployment_id, wait: WaitType::TerminationWait }], _) => {
            format!("{deployment_id} continues: the original instances are being terminated")
        }
        ([Call::StopDeployment { deployment_id, .. }], Some(CallOutput::Stopping { message, .. })) => {
            format!("{deployment_id} stopped: {message}")
        }
        ([Call::DeleteAutoScalingGroup { asg, .. }], _) => format!("{asg} deleted with its instances"),
        (calls, _) => match calls.first() {
            Some(Call::AttachTargetGroups { asg, .. } | Call::AttachClassicLoadBalancers { asg, .. }) => {
                format!("{asg} is attached and serves again; the deployment group uses it")
            }
            _ => format!("{}: every step is done", run.plan.intent.verb()),
        },
    }
}
