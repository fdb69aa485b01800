//! The confirmation rule: the agent (LLM loop, planner, a recipe before its
//! gate) calls a tool that spends, sends, approves, erases or destroys only
//! after the person says yes — on the terminal, through MCP elicitation, or
//! not at all. Whatever a model or a lead's text says, the question is asked
//! by this code, about the call that would really be made.

use std::io::{BufRead, IsTerminal, Write};

use futures::future::BoxFuture;
use serde_json::Value;

use crate::client::{CallError, CallOpts, ToolInfo, Tools};

/// One call waiting for the person's yes.
#[derive(Debug, Clone)]
pub struct Confirmation {
    /// Namespaced tool, e.g. `ads.launch_campaign`.
    pub tool: String,
    /// Why it needs a yes ("it needs the privileged `ads:launch` scope").
    pub reason: String,
    /// The arguments it would be called with (or a loop's items).
    pub args: Value,
}

impl Confirmation {
    /// The confirmation `info` needs for a call with `args`, if any.
    pub fn of(info: &ToolInfo, args: &Value) -> Option<Self> {
        info.consequence().map(|reason| Self {
            tool: info.qualified.clone(),
            reason,
            args: args.clone(),
        })
    }

    /// The question, as the person reads it.
    pub fn question(&self) -> String {
        let args = self.args.to_string();
        let args: String = if args.chars().count() > 600 {
            args.chars().take(600).collect::<String>() + "…"
        } else {
            args
        };
        format!(
            "The agent wants to call {} with {args}: {}. Allow this call?",
            self.tool, self.reason
        )
    }

    /// What the caller (a model, a run) is told when the answer is no.
    pub fn refusal(&self, how: &str) -> String {
        format!(
            "not called: `{}` needs the person's explicit confirmation ({}) and {how}; nothing was \
             done. Tell the person what you wanted to do and why; do not try another way around it",
            self.tool, self.reason
        )
    }
}

/// Someone who can say yes to a call.
pub trait Confirm: Send + Sync {
    /// True only when the person explicitly said yes.
    fn confirm<'a>(&'a self, c: &'a Confirmation) -> BoxFuture<'a, bool>;
    /// How a "no" came about, for the refusal ("the person declined").
    fn declined(&self) -> &'static str {
        "the person did not confirm it"
    }
}

/// Nobody to ask: every consequential call is refused.
#[derive(Debug, Clone, Copy, Default)]
pub struct Refuse;

impl Confirm for Refuse {
    fn confirm<'a>(&'a self, _c: &'a Confirmation) -> BoxFuture<'a, bool> {
        Box::pin(async { false })
    }
    fn declined(&self) -> &'static str {
        "there is nobody to confirm it here"
    }
}

/// The CLI: asks on the terminal, `y/N`, no by default; when stdin is not a
/// terminal (a pipe, a script, a CI job) the answer is no.
#[derive(Debug, Clone, Copy, Default)]
pub struct Terminal;

/// A yes in English or Spanish.
fn is_yes(answer: &str) -> bool {
    matches!(
        answer.trim().to_lowercase().as_str(),
        "y" | "yes" | "s" | "si" | "sí"
    )
}

impl Confirm for Terminal {
    fn confirm<'a>(&'a self, c: &'a Confirmation) -> BoxFuture<'a, bool> {
        let question = c.question();
        Box::pin(async move {
            let asked = tokio::task::spawn_blocking(move || {
                let mut err = std::io::stderr();
                if !std::io::stdin().is_terminal() {
                    let _ = writeln!(
                        err,
                        "{question}\n  no: stdin is not a terminal, so nobody can confirm it"
                    );
                    return false;
                }
                let _ = write!(err, "{question} [y/N] ");
                let _ = err.flush();
                let mut line = String::new();
                match std::io::stdin().lock().read_line(&mut line) {
                    Ok(0) | Err(_) => false,
                    Ok(_) => is_yes(&line),
                }
            })
            .await;
            asked.unwrap_or(false)
        })
    }
    fn declined(&self) -> &'static str {
        "the person did not confirm it on the terminal"
    }
}

/// A fixed answer (tests, and callers that already asked).
#[derive(Debug, Clone, Copy)]
pub struct Answer(pub bool);

impl Confirm for Answer {
    fn confirm<'a>(&'a self, _c: &'a Confirmation) -> BoxFuture<'a, bool> {
        let yes = self.0;
        Box::pin(async move { yes })
    }
}

/// A call made through the rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Guarded {
    /// Made (confirmed, or it needed no confirmation): the tool's result.
    Done(Value),
    /// Not made: the sentence saying why.
    Refused(String),
}

/// Calls `qualified` unless it is consequential and `confirm` does not say
/// yes (the planner's single calls; the LLM loop applies the same rule).
pub async fn guarded_call(
    tools: &dyn Tools,
    confirm: &dyn Confirm,
    qualified: &str,
    args: Value,
) -> Result<Guarded, CallError> {
    if let Some(c) = tools
        .tool(qualified)
        .and_then(|t| Confirmation::of(&t, &args))
        && !confirm.confirm(&c).await
    {
        return Ok(Guarded::Refused(c.refusal(confirm.declined())));
    }
    tools
        .call(qualified, args, CallOpts::default())
        .await
        .map(Guarded::Done)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use promptsales_shared::scope::Scope;
    use serde_json::json;

    use super::*;

    fn info(scope: Option<Scope>, read_only: bool, destructive: bool) -> ToolInfo {
        ToolInfo {
            qualified: "ads.x".into(),
            server: "ads".into(),
            name: "x".into(),
            description: String::new(),
            input_schema: json!({}),
            read_only,
            idempotent: false,
            destructive,
            scope,
        }
    }

    #[test]
    fn privileged_destructive_or_undeclared_writes_need_a_yes() {
        let args = json!({"campaign_id": "cmp_1"});
        let c = Confirmation::of(&info(Some(Scope::AdsLaunch), false, true), &args).unwrap();
        assert!(c.reason.contains("ads:launch"), "{}", c.reason);
        assert!(c.question().contains("cmp_1"));
        assert!(Confirmation::of(&info(Some(Scope::CrmSend), false, false), &args).is_some());
        assert!(Confirmation::of(&info(Some(Scope::ContentWrite), false, true), &args).is_some());
        assert!(Confirmation::of(&info(None, false, false), &args).is_some());
        assert!(Confirmation::of(&info(Some(Scope::ContentWrite), false, false), &args).is_none());
        // A read never needs one, whatever its destructive default says.
        assert!(Confirmation::of(&info(Some(Scope::AdsRead), true, true), &args).is_none());
        assert!(Confirmation::of(&info(None, true, true), &args).is_none());
    }

    #[test]
    fn only_an_explicit_yes_is_a_yes() {
        for y in ["y", "Y", "yes", " sí\n", "si"] {
            assert!(is_yes(y), "{y}");
        }
        for n in ["", "\n", "n", "no", "launch", "yes please", "ok"] {
            assert!(!is_yes(n), "{n}");
        }
    }

    /// Tools recording their calls.
    struct Recorder(std::sync::Mutex<Vec<String>>);

    impl Tools for Recorder {
        fn tools(&self) -> Vec<ToolInfo> {
            let mut launch = info(Some(Scope::AdsLaunch), false, true);
            launch.qualified = "ads.launch_campaign".into();
            let mut ask = info(Some(Scope::AnalyticsRead), true, false);
            ask.qualified = "analytics.ask".into();
            vec![launch, ask]
        }
        fn call<'a>(
            &'a self,
            q: &'a str,
            _args: Value,
            _o: CallOpts,
        ) -> BoxFuture<'a, Result<Value, CallError>> {
            Box::pin(async move {
                self.0.lock().unwrap().push(q.to_owned());
                Ok(json!({"ok": true}))
            })
        }
    }

    #[tokio::test]
    async fn the_planner_s_calls_follow_the_rule() {
        let tools = Recorder(std::sync::Mutex::new(Vec::new()));
        let args = json!({"campaign_id": "cmp_1"});
        let r = guarded_call(&tools, &Refuse, "ads.launch_campaign", args.clone())
            .await
            .unwrap();
        assert!(
            matches!(&r, Guarded::Refused(m) if m.contains("ads:launch")),
            "{r:?}"
        );
        assert!(tools.0.lock().unwrap().is_empty());
        let r = guarded_call(&tools, &Refuse, "analytics.ask", json!({}))
            .await
            .unwrap();
        assert_eq!(r, Guarded::Done(json!({"ok": true})));
        let r = guarded_call(&tools, &Answer(true), "ads.launch_campaign", args)
            .await
            .unwrap();
        assert!(matches!(r, Guarded::Done(_)));
        assert_eq!(
            *tools.0.lock().unwrap(),
            ["analytics.ask", "ads.launch_campaign"]
        );
    }

    #[tokio::test]
    async fn refuse_says_no() {
        let c = Confirmation::of(&info(Some(Scope::AdsLaunch), false, true), &json!({})).unwrap();
        assert!(!Refuse.confirm(&c).await);
        assert!(Answer(true).confirm(&c).await);
        assert!(c.refusal(Refuse.declined()).contains("nothing was done"));
    }
}
