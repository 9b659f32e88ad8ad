//! Running a confirmed plan one step at a time, as a state machine over
//! observations: both the demo and the AWS runner feed it call results and
//! fresh observations, and it says what to do next.

use super::plan::{Plan, Step};
use super::{ApiError, Call, CallOutput};
use crate::domain::{At, Observation};

/// What the runner should do now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Make this call and report its result with [`PlanRun::call_done`].
    Call(Call),
    /// A call is in flight or a wait holds: check again on the next observation.
    Pending,
    /// Every step is done.
    Done,
    /// The plan stopped; the message says where and what to do next.
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Ready,
    Calling,
    Waiting { since: At },
    Done,
    Failed(String),
}

/// A plan being carried out.
#[derive(Debug, Clone)]
pub struct PlanRun {
    pub plan: Plan,
    step: usize,
    state: State,
    /// One line per finished step, in order.
    pub reports: Vec<String>,
    /// Output of the last call (a new deployment's id, a stop's status).
    pub last_output: Option<CallOutput>,
}

impl PlanRun {
    /// Checks the plan's preconditions against a fresh observation.
    pub fn start(plan: Plan, obs: &Observation) -> Result<Self, String> {
        for pre in &plan.preconditions {
            pre.check(obs).map_err(|why| format!("not done: {why} (nothing was changed)"))?;
        }
        Ok(Self { plan, step: 0, state: State::Ready, reports: Vec::new(), last_output: None })
    }

    /// Index of the step under way (equals the step count when done).
    pub fn step(&self) -> usize {
        self.step
    }

    /// What to do now, given the latest observation.
    pub fn next(&mut self, obs: &Observation) -> Next {
        loop {
            match &self.state {
                State::Done => return Next::Done,
                State::Failed(why) => return Next::Failed(why.clone()),
                State::Calling => return Next::Pending,
                State::Ready | State::Waiting { .. } => {}
            }
            let Some(step) = self.plan.steps.get(self.step).cloned() else {
                self.state = State::Done;
                continue;
            };
            match step {
                Step::Call(call) => {
                    self.state = State::Calling;
                    return Next::Call(call);
                }
                Step::Wait { until, timeout } => {
                    let since = match self.state {
                        State::Waiting { since } => since,
                        _ => obs.at,
                    };
                    if until.holds(obs) {
                        self.finish_step(&until.to_string());
                        continue;
                    }
                    if obs.at.since(since) > timeout {
                        self.fail(&format!(
                            "gave up waiting: {until} did not happen within {}",
                            crate::domain::short(timeout)
                        ));
                        continue;
                    }
                    self.state = State::Waiting { since };
                    return Next::Pending;
                }
            }
        }
    }

    /// Records the result of the call that [`PlanRun::next`] asked for,
    /// with the observation made right after it (if one could be made).
    /// An answer that was lost stops the plan: the call is never sent
    /// again, and the message says what is observed now.
    pub fn call_done(&mut self, result: Result<CallOutput, ApiError>, after: Option<&Observation>) {
        let Some(Step::Call(call)) = self.plan.steps.get(self.step).cloned() else {
            return;
        };
        match result {
            Ok(output) => {
                let extra = match &output {
                    CallOutput::DeploymentId(id) => format!(" → {id}"),
                    CallOutput::Stopping { status, .. } => format!(" → {status}"),
                    CallOutput::Done => String::new(),
                };
                self.last_output = Some(output);
                self.finish_step(&format!("{call}{extra}"));
            }
            Err(err) if err.uncertain => {
                let now = after.map_or_else(
                    || "it could not be looked at either".to_string(),
                    |obs| super::plan::aftermath(&call, obs),
                );
                self.fail(&format!(
                    "{}: no answer ({}), so it may or may not have been done; now {now}; it was not sent again",
                    call.operation(),
                    err.code
                ));
            }
            Err(err) => self.fail(&format!("{} failed: {err}", call.operation())),
        }
    }

    fn finish_step(&mut self, what: &str) {
        self.step += 1;
        self.reports.push(format!("✓ {}/{} {what}", self.step, self.plan.steps.len()));
        self.state = if self.step == self.plan.steps.len() { State::Done } else { State::Ready };
    }

    fn fail(&mut self, why: &str) {
        let total = self.plan.steps.len();
        let done = if self.step == 0 {
            "nothing was changed".to_string()
        } else {
            format!("steps 1–{} of {total} are done and stay done", self.step)
        };
        self.reports.push(format!("✗ {}/{total} {why}", self.step + 1));
        self.state = State::Failed(format!(
            "stopped at step {} of {total}: {why}; {done}; press the key again to plan from what is now observed",
            self.step + 1
        ));
    }
}
