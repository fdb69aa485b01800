//! The runner against fake servers on both backends: gates, resumes, leases, loops and lost connections.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::sync::Mutex;

use chrono::Utc;
use futures::future::BoxFuture;
use promptsales_server::auth::Principal;
use promptsales_shared::scope::Scope;
use promptsales_shared::testing::backends;
use promptsales_shared::time::format_ts;

use super::lease::{host_name, owner_is_dead};
use super::*;
use crate::client::{CallError, CallOpts, ToolInfo};
use crate::pipeline::recipe::BUILTIN;
use crate::pipeline::{decide, decide_waiving};

/// Tools that answer like the four servers would, record every call,
/// and can be told to lose the connection on a tool once.
#[derive(Default)]
struct Fake {
    /// Tool, arguments, and the identity's actor and scopes (none: the
    /// runner's own).
    calls: Mutex<Vec<(String, Value, Option<String>)>>,
    identities: Mutex<Vec<(String, Option<Vec<String>>)>>,
    drop_once: Mutex<BTreeSet<String>>,
    /// Tools that answer an error (definite, not a lost connection) once.
    fail_once: Mutex<BTreeSet<String>>,
    /// The approver cannot approve any copy (e.g. rights ran out).
    refuse_copy: Mutex<bool>,
    launched_keys: Mutex<BTreeSet<String>>,
}

/// The scope each fake tool declares, as the real servers do.
fn scope_of(q: &str) -> Scope {
    match q {
        "content.generate_content" | "content.optimize_for_search" => Scope::ContentWrite,
        "content.approve_asset" => Scope::ContentApprove,
        "ads.approve_campaign" => Scope::AdsApprove,
        "ads.launch_campaign" => Scope::AdsLaunch,
        "ads.get_campaign" => Scope::AdsRead,
        _ => Scope::AdsWrite,
    }
}

fn info(q: &str, idempotent: bool, key: bool) -> ToolInfo {
    let (server, name) = q.split_once('.').unwrap();
    let mut props = serde_json::Map::new();
    if key {
        props.insert("idempotency_key".into(), json!({"type": "string"}));
    }
    ToolInfo {
        qualified: q.into(),
        server: server.into(),
        name: name.into(),
        description: String::new(),
        input_schema: json!({"type": "object", "properties": props}),
        read_only: false,
        idempotent,
        destructive: q == "ads.launch_campaign",
        scope: Some(scope_of(q)),
    }
}

impl Fake {
    fn count(&self, tool: &str) -> usize {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(t, a, _)| t == tool && a["dry_run"] != json!(true))
            .count()
    }
}

impl Tools for Fake {
    fn tools(&self) -> Vec<ToolInfo> {
        vec![
            info("content.generate_content", false, false),
            info("content.optimize_for_search", true, false),
            info("content.approve_asset", true, false),
            info("ads.generate_campaign", false, false),
            info("ads.plan_budget", true, false),
            info("ads.submit_for_approval", true, false),
            info("ads.attach_content", true, false),
            info("ads.approve_campaign", true, false),
            info("ads.launch_campaign", false, true),
            info("ads.get_campaign", true, false),
        ]
    }

    fn call<'a>(
        &'a self,
        q: &'a str,
        args: Value,
        opts: CallOpts,
    ) -> BoxFuture<'a, Result<Value, CallError>> {
        Box::pin(async move {
            self.calls.lock().unwrap().push((
                q.to_owned(),
                args.clone(),
                opts.identity.as_ref().map(|i| i.actor.clone()),
            ));
            self.identities.lock().unwrap().push((
                q.to_owned(),
                opts.identity.as_ref().map(|i| i.scopes.clone()),
            ));
            if args["dry_run"] != json!(true) && self.drop_once.lock().unwrap().remove(q) {
                // The call reached the server, then the connection died.
                if q == "ads.launch_campaign" {
                    self.launched_keys
                        .lock()
                        .unwrap()
                        .insert(args["idempotency_key"].as_str().unwrap().to_owned());
                }
                return Err(CallError::Unavailable {
                    server: "x".into(),
                    reason: "connection lost".into(),
                });
            }
            if self.fail_once.lock().unwrap().remove(q) {
                return Err(CallError::Tool {
                    tool: q.into(),
                    message: "refused by the server".into(),
                });
            }
            Ok(match q {
                "ads.get_campaign" => {
                    let attached = self
                        .calls
                        .lock()
                        .unwrap()
                        .iter()
                        .any(|(t, _, _)| t == "ads.attach_content");
                    json!({"id": args["campaign_id"], "name": "Plan Pro", "client_id": "cli_001",
                           "status": "pending_approval", "currency": "COP",
                           "budget_plan": {"total": "5.000 COP", "flight": "2026-12-01 → 2026-12-31 (31 days)",
                               "channels": [{"channel": "meta", "amount": "3.000 COP", "share": "60%"},
                                            {"channel": "email", "amount": "2.000 COP", "share": "40%"}]},
                           "caps": {"caps_required": false},
                           "creatives": [
                               {"channel": "meta", "needs_creative": true, "ready": attached},
                               {"channel": "email", "needs_creative": true, "ready": attached}]})
                }
                "content.generate_content" => {
                    let ch = args["channels"][0].as_str().unwrap().to_owned();
                    json!({"variants": [{"asset_id": format!("ast_{ch}_1")}, {"asset_id": format!("ast_{ch}_2")}]})
                }
                "content.approve_asset" => {
                    if *self.refuse_copy.lock().unwrap() {
                        return Err(CallError::Tool {
                            tool: q.into(),
                            message: "usage rights do not cover the flight".into(),
                        });
                    }
                    if args["asset_id"].as_str().unwrap().ends_with("_2")
                        && args["asset_id"].as_str().unwrap().contains("email")
                    {
                        return Err(CallError::Tool {
                            tool: q.into(),
                            message: "usage rights expired".into(),
                        });
                    }
                    json!({"id": args["asset_id"], "channel": "meta", "status": "approved"})
                }
                "ads.generate_campaign" => json!({"id": "cmp_new", "status": "draft"}),
                "ads.launch_campaign" => {
                    if args["dry_run"] == json!(true) {
                        json!({"dry_run": true})
                    } else {
                        let k = args["idempotency_key"].as_str().unwrap().to_owned();
                        let repeat = !self.launched_keys.lock().unwrap().insert(k);
                        json!({"status": "active", "repeat": repeat})
                    }
                }
                _ => json!({"ok": true}),
            })
        })
    }
}

fn params() -> Value {
    json!({"client_id": "cli_001", "product": "Plan Pro", "budget_cents": 500000,
           "start_date": "2026-12-01", "end_date": "2026-12-31", "channels": ["meta", "email"]})
}

/// Exactly what an approver of the launch gate needs.
const APPROVER_SCOPES: [&str; 4] = [
    "orchestrator:approve",
    "ads:approve",
    "content:approve",
    "ads:launch",
];

fn approver(tenant: &TenantId) -> Principal {
    Principal::new("ana.approver", tenant.clone(), APPROVER_SCOPES)
}

fn launch_src() -> &'static str {
    BUILTIN
        .iter()
        .find(|(n, _)| *n == "launch-campaign")
        .unwrap()
        .1
}

#[tokio::test]
async fn launch_waits_at_the_gate_then_finishes_once_and_resume_repeats_nothing() {
    for t in backends(&crate::MIGRATIONS).await.unwrap() {
        let tenant = TenantId::from_trusted("t1".into());
        let store = RunStore::new(t.db.clone());
        let fake = Fake::default();
        let runner = Runner::new(&fake, &store, tenant.clone(), "agent");
        let r = runner.start(launch_src(), &params()).await.unwrap();
        assert_eq!(r.run.status, RunStatus::WaitingApproval, "{}", t.label());
        let gate = r.waiting_on.clone().unwrap();
        assert!(
            gate.summary.contains("cmp_new") && gate.summary.contains("500000"),
            "{}",
            gate.summary
        );
        assert_eq!(fake.count("ads.launch_campaign"), 0);
        assert_eq!(fake.count("content.generate_content"), 2);

        // Not an approver; the run's own starter; then the approver.
        let nobody = Principal::new("bob", tenant.clone(), Vec::<String>::new());
        let e = decide(&store, &nobody, &gate.id, true, None)
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("`orchestrator:approve` and `ads:approve`"),
            "{e}"
        );
        // The gate's scope alone does not decide: orchestrator:approve too.
        let half = Principal::new("carl", tenant.clone(), ["ads:approve"]);
        let e = decide(&store, &half, &gate.id, true, None)
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("`orchestrator:approve` scope"),
            "{e}"
        );
        let starter = Principal::new("agent", tenant.clone(), APPROVER_SCOPES);
        assert!(
            decide(&store, &starter, &gate.id, true, None)
                .await
                .is_err()
        );
        // Still waiting.
        let again = runner
            .resume(&r.run.id, &ResumeOpts::default())
            .await
            .unwrap();
        assert_eq!(again.run.status, RunStatus::WaitingApproval);
        let a = decide(&store, &approver(&tenant), &gate.id, true, Some("go"))
            .await
            .unwrap();
        assert_eq!(a.status, ApprovalStatus::Approved);
        let done = runner
            .resume(&r.run.id, &ResumeOpts::default())
            .await
            .unwrap();
        assert_eq!(
            done.run.status,
            RunStatus::Succeeded,
            "{:?}",
            done.run.error
        );
        assert_eq!(fake.count("ads.launch_campaign"), 1);
        // Approvals and the launch ran as the approver, each with exactly
        // its tool's scope; the drafting before the gate as the runner's own
        // identity. One asset was refused and skipped, so only three were
        // attached.
        let calls = fake.calls.lock().unwrap().clone();
        for t in [
            "content.approve_asset",
            "ads.approve_campaign",
            "ads.launch_campaign",
        ] {
            assert!(
                calls
                    .iter()
                    .filter(|(q, _, _)| q == t)
                    .all(|(_, _, who)| who.as_deref() == Some("ana.approver")),
                "{t}"
            );
        }
        for (t, scopes) in fake.identities.lock().unwrap().iter() {
            match t.as_str() {
                // As the approver, or (attaching) in the starter's name:
                // each with exactly its tool's scope.
                "content.approve_asset"
                | "ads.approve_campaign"
                | "ads.launch_campaign"
                | "ads.attach_content" => {
                    assert_eq!(
                        scopes.as_deref(),
                        Some(&[scope_of(t).as_str().to_owned()][..])
                    )
                }
                _ => assert_eq!(scopes, &None, "{t}"),
            }
        }
        // The copy is attached before the campaign is approved, in the
        // name of the run's starter: the approver never edits what they
        // approve.
        assert!(
            calls
                .iter()
                .filter(|(q, _, _)| q == "ads.attach_content")
                .all(|(_, _, who)| who.as_deref() == Some("agent"))
        );
        let first_approval = calls
            .iter()
            .position(|(q, _, _)| q == "ads.approve_campaign")
            .unwrap();
        assert!(
            calls
                .iter()
                .rposition(|(q, _, _)| q == "ads.attach_content")
                .unwrap()
                < first_approval
        );
        // The gate recorded what its approver needs.
        let waiting = &r.steps.iter().find(|s| s.step_key == "approval").unwrap();
        let input = waiting.input.as_ref().unwrap();
        assert_eq!(
            input["approver_needs"],
            json!([
                "orchestrator:approve",
                "ads:approve",
                "content:approve",
                "ads:launch"
            ])
        );
        // attach_content runs in the starter's name: whoever continues the
        // run needs nothing more.
        assert_eq!(input["continue_needs"], json!([]));
        assert_eq!(fake.count("ads.attach_content"), 3);
        let launch = calls
            .iter()
            .find(|(t, a, _)| t == "ads.launch_campaign" && a["dry_run"] == json!(false))
            .unwrap();
        assert_eq!(
            launch.1["idempotency_key"],
            json!(format!("{}/launch", r.run.id))
        );
        let agenda: Vec<&StepRow> = done
            .steps
            .iter()
            .filter(|s| s.step_id == "agenda" && s.step_key.contains('#'))
            .collect();
        assert_eq!(agenda.len(), 3);
        let total = calls.len();
        drop(calls);
        // Resuming a finished run calls nothing.
        let r2 = runner
            .resume(&r.run.id, &ResumeOpts::default())
            .await
            .unwrap();
        assert_eq!(r2.run.status, RunStatus::Succeeded);
        assert_eq!(fake.calls.lock().unwrap().len(), total);
        // A decided approval stays decided.
        assert!(
            decide(&store, &approver(&tenant), &gate.id, false, Some("late"))
                .await
                .is_err()
        );
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_lost_launch_is_repeated_with_its_key_and_lost_content_is_not_repeated_blindly() {
    for t in backends(&crate::MIGRATIONS).await.unwrap() {
        let tenant = TenantId::from_trusted("t1".into());
        let store = RunStore::new(t.db.clone());
        let fake = Fake::default();
        let runner = Runner::new(&fake, &store, tenant.clone(), "agent");
        // Content generation loses its connection on the first channel.
        fake.drop_once
            .lock()
            .unwrap()
            .insert("content.generate_content".into());
        let r = runner.start(launch_src(), &params()).await.unwrap();
        assert_eq!(r.run.status, RunStatus::Failed);
        let r = runner
            .resume(&r.run.id, &ResumeOpts::default())
            .await
            .unwrap();
        assert_eq!(r.run.status, RunStatus::Failed);
        assert!(
            r.run
                .error
                .as_deref()
                .unwrap()
                .contains("--retry content#0"),
            "{:?}",
            r.run.error
        );
        assert_eq!(fake.count("content.generate_content"), 1);
        let r = runner
            .resume(
                &r.run.id,
                &ResumeOpts {
                    retry: vec!["content#0".into()],
                    force: false,
                },
            )
            .await
            .unwrap();
        assert_eq!(r.run.status, RunStatus::WaitingApproval);
        assert_eq!(fake.count("content.generate_content"), 3);
        let gate = r.waiting_on.unwrap();
        decide(&store, &approver(&tenant), &gate.id, true, None)
            .await
            .unwrap();
        // The launch reaches the platform, then the connection dies.
        fake.drop_once
            .lock()
            .unwrap()
            .insert("ads.launch_campaign".into());
        let r = runner
            .resume(&r.run.id, &ResumeOpts::default())
            .await
            .unwrap();
        assert_eq!(r.run.status, RunStatus::Succeeded, "{:?}", r.run.error);
        // Retried with the same key: the server saw a repeat, not a
        // second launch.
        let calls = fake.calls.lock().unwrap().clone();
        let launches: Vec<&Value> = calls
            .iter()
            .filter(|(t, a, _)| t == "ads.launch_campaign" && a["dry_run"] == json!(false))
            .map(|(_, a, _)| a)
            .collect();
        assert_eq!(launches.len(), 2);
        assert_eq!(
            launches[0]["idempotency_key"],
            launches[1]["idempotency_key"]
        );
        let out = r
            .steps
            .iter()
            .find(|s| s.step_key == "launch")
            .unwrap()
            .output
            .clone()
            .unwrap();
        assert_eq!(out["repeat"], json!(true));
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_run_held_by_a_live_runner_is_refused_and_a_dead_ones_taken_over() {
    for t in backends(&crate::MIGRATIONS).await.unwrap() {
        let tenant = TenantId::from_trusted("t1".into());
        let store = RunStore::new(t.db.clone());
        let fake = Fake::default();
        let runner = Runner::new(&fake, &store, tenant.clone(), "agent");
        let r = runner.start(launch_src(), &params()).await.unwrap();
        let until = format_ts(Utc::now() + chrono::Duration::minutes(5));
        // Held by this very (live) process under another runner.
        let live = format!("{}:{}:other", host_name(), std::process::id());
        assert!(
            store
                .lease_run(&tenant, &r.run.id, &live, &until, true)
                .await
                .unwrap()
        );
        let e = runner
            .resume(&r.run.id, &ResumeOpts::default())
            .await
            .unwrap_err();
        assert!(e.to_string().contains("--force"), "{e}");
        // Held by a process of this machine that no longer exists.
        let dead = format!("{}:4000000000:gone", host_name());
        assert!(owner_is_dead(&dead));
        assert!(
            store
                .lease_run(&tenant, &r.run.id, &dead, &until, true)
                .await
                .unwrap()
        );
        let ok = runner
            .resume(&r.run.id, &ResumeOpts::default())
            .await
            .unwrap();
        assert_eq!(ok.run.status, RunStatus::WaitingApproval);
        // --force takes over a live holder.
        assert!(
            store
                .lease_run(&tenant, &r.run.id, &live, &until, true)
                .await
                .unwrap()
        );
        let forced = runner
            .resume(
                &r.run.id,
                &ResumeOpts {
                    retry: vec![],
                    force: true,
                },
            )
            .await
            .unwrap();
        assert_eq!(forced.run.status, RunStatus::WaitingApproval);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_rejected_gate_fails_the_run_with_the_note() {
    for t in backends(&crate::MIGRATIONS).await.unwrap() {
        let tenant = TenantId::from_trusted("t1".into());
        let store = RunStore::new(t.db.clone());
        let fake = Fake::default();
        let runner = Runner::new(&fake, &store, tenant.clone(), "agent");
        let r = runner.start(launch_src(), &params()).await.unwrap();
        let gate = r.waiting_on.unwrap();
        let e = decide(&store, &approver(&tenant), &gate.id, false, None)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("note"), "{e}");
        decide(
            &store,
            &approver(&tenant),
            &gate.id,
            false,
            Some("budget too high"),
        )
        .await
        .unwrap();
        let r = runner
            .resume(&r.run.id, &ResumeOpts::default())
            .await
            .unwrap();
        assert_eq!(r.run.status, RunStatus::Failed);
        assert!(r.run.error.unwrap().contains("budget too high"));
        assert_eq!(fake.count("ads.launch_campaign"), 0);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn conditions_loops_prints_and_bad_templates() {
    for t in backends(&crate::MIGRATIONS).await.unwrap() {
        let tenant = TenantId::from_trusted("t1".into());
        let store = RunStore::new(t.db.clone());
        let fake = Fake::default();
        let runner = Runner::new(&fake, &store, tenant.clone(), "agent");
        let src = r#"
name = "t"
[params.go]
default = false
[[steps]]
id = "a"
tool = "ads.plan_budget"
when = "{{params.go}}"
[[steps]]
id = "b"
tool = "ads.plan_budget"
for_each = '["x", "y"]'
args = { campaign_id = "{{item}}" }
print = "planned {{output.ok}}"
[[steps]]
id = "c"
tool = "ads.plan_budget"
args = { campaign_id = "{{steps.a.output.campaign_id}}" }
"#;
        let r = runner.start(src, &json!({})).await.unwrap();
        assert_eq!(r.printed, vec!["planned true", "planned true"]);
        assert_eq!(
            r.steps.iter().find(|s| s.step_key == "a").unwrap().status,
            StepStatus::Skipped
        );
        assert_eq!(r.run.status, RunStatus::Failed);
        assert!(r.run.error.unwrap().contains("steps.a.output.campaign_id"));
        assert!(runner.start(src, &json!({"nope": 1})).await.is_err());
        t.cleanup().await;
    }
}

/// An approver without `ads:launch` passes the gate, but the launch that
/// runs as them is refused by the runner before any call, naming the scope.
#[tokio::test]
async fn steps_as_the_approver_need_the_scope_the_approver_held() {
    for t in backends(&crate::MIGRATIONS).await.unwrap() {
        let tenant = TenantId::from_trusted("t1".into());
        let store = RunStore::new(t.db.clone());
        let fake = Fake::default();
        let runner = Runner::new(&fake, &store, tenant.clone(), "agent");
        let r = runner.start(launch_src(), &params()).await.unwrap();
        let gate = r.waiting_on.unwrap();
        let no_launch = Principal::new(
            "ana.approver",
            tenant.clone(),
            ["orchestrator:approve", "ads:approve", "content:approve"],
        );
        decide(&store, &no_launch, &gate.id, true, None)
            .await
            .unwrap();
        let r = runner
            .resume(&r.run.id, &ResumeOpts::default())
            .await
            .unwrap();
        assert_eq!(r.run.status, RunStatus::Failed);
        let e = r.run.error.unwrap();
        assert!(
            e.contains("step preview") && e.contains("`ads:launch`"),
            "{e}"
        );
        assert_eq!(
            fake.calls
                .lock()
                .unwrap()
                .iter()
                .filter(|(q, _, _)| q == "ads.launch_campaign")
                .count(),
            0
        );
        t.cleanup().await;
    }
}

/// Before any gate, a consequential step waits for the person's yes when
/// the runner has someone to ask: no is a failed step and no call.
#[tokio::test]
async fn consequential_steps_before_a_gate_need_a_yes() {
    use crate::agent::confirm::{Answer, Refuse};
    for t in backends(&crate::MIGRATIONS).await.unwrap() {
        let tenant = TenantId::from_trusted("t1".into());
        let store = RunStore::new(t.db.clone());
        let fake = Fake::default();
        let src = r#"
name = "spend-now"
[[steps]]
id = "draft"
tool = "ads.plan_budget"
[[steps]]
id = "launch"
tool = "ads.launch_campaign"
args = { campaign_id = "cmp_1" }
"#;
        let refuse = Refuse;
        let runner = Runner::new(&fake, &store, tenant.clone(), "agent").with_confirm(&refuse);
        let r = runner.start(src, &json!({})).await.unwrap();
        assert_eq!(r.run.status, RunStatus::Failed);
        let e = r.run.error.unwrap();
        assert!(e.contains("not called") && e.contains("ads:launch"), "{e}");
        assert_eq!(
            fake.count("ads.plan_budget"),
            1,
            "everyday writes need no yes"
        );
        assert_eq!(fake.count("ads.launch_campaign"), 0);
        let yes = Answer(true);
        let runner = Runner::new(&fake, &store, tenant.clone(), "agent").with_confirm(&yes);
        let r = runner.start(src, &json!({})).await.unwrap();
        assert_eq!(r.run.status, RunStatus::Succeeded, "{:?}", r.run.error);
        assert_eq!(fake.count("ads.launch_campaign"), 1);
        // After an approved gate the approver's decision is the yes: the
        // launch recipe finishes with a runner that would refuse.
        let runner = Runner::new(&fake, &store, tenant.clone(), "agent").with_confirm(&refuse);
        let r = runner.start(launch_src(), &params()).await.unwrap();
        assert_eq!(
            r.run.status,
            RunStatus::WaitingApproval,
            "{:?}",
            r.run.error
        );
        decide(
            &store,
            &approver(&tenant),
            &r.waiting_on.unwrap().id,
            true,
            None,
        )
        .await
        .unwrap();
        let r = runner
            .resume(&r.run.id, &ResumeOpts::default())
            .await
            .unwrap();
        assert_eq!(r.run.status, RunStatus::Succeeded, "{:?}", r.run.error);
        t.cleanup().await;
    }
}

/// Nothing approved to attach and no waiver: the run fails before the
/// campaign is approved or anything launched, and resuming keeps it failed
/// without calling anything again. With the approver's waiver, the
/// channels still without a creative are waived by name.
#[tokio::test]
async fn without_approved_creatives_a_run_fails_and_stays_failed_unless_waived() {
    for t in backends(&crate::MIGRATIONS).await.unwrap() {
        let tenant = TenantId::from_trusted("t1".into());
        let store = RunStore::new(t.db.clone());
        let fake = Fake::default();
        *fake.refuse_copy.lock().unwrap() = true;
        let runner = Runner::new(&fake, &store, tenant.clone(), "agent");
        let r = runner.start(launch_src(), &params()).await.unwrap();
        let gate = r.waiting_on.clone().unwrap();
        // The approver reads the plan and the copy at the gate.
        let review = gate.review.clone().unwrap();
        let text = crate::pipeline::review::lines(&review, None).join("\n");
        assert!(
            text.contains("budget: 5.000 COP")
                && text.contains("ast_meta_1")
                && text.contains("attached to the campaign: nothing yet"),
            "{text}"
        );
        decide(&store, &approver(&tenant), &gate.id, true, Some("go"))
            .await
            .unwrap();
        let r = runner
            .resume(&r.run.id, &ResumeOpts::default())
            .await
            .unwrap();
        assert_eq!(r.run.status, RunStatus::Failed, "{}", t.label());
        let e = r.run.error.clone().unwrap();
        assert!(
            e.contains("step creatives") && e.contains("no approved creative"),
            "{e}"
        );
        assert_eq!(fake.count("ads.approve_campaign"), 0);
        assert_eq!(fake.count("ads.launch_campaign"), 0);
        let calls = fake.calls.lock().unwrap().len();
        let again = runner
            .resume(&r.run.id, &ResumeOpts::default())
            .await
            .unwrap();
        assert_eq!(again.run.status, RunStatus::Failed);
        assert_eq!(fake.calls.lock().unwrap().len(), calls, "nothing called");

        // The same without copy, but the approver waives: approved and
        // launched, the waiver naming each channel.
        let r = runner.start(launch_src(), &params()).await.unwrap();
        let gate = r.waiting_on.clone().unwrap();
        let e = decide_waiving(
            &store,
            &approver(&tenant),
            &gate.id,
            false,
            Some("no"),
            Some("x"),
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains("waiver"), "{e}");
        decide_waiving(
            &store,
            &approver(&tenant),
            &gate.id,
            true,
            None,
            Some("the copy comes from the client's own agency"),
        )
        .await
        .unwrap();
        let r = runner
            .resume(&r.run.id, &ResumeOpts::default())
            .await
            .unwrap();
        assert_eq!(r.run.status, RunStatus::Succeeded, "{:?}", r.run.error);
        let calls = fake.calls.lock().unwrap().clone();
        let approve = calls
            .iter()
            .rev()
            .find(|(q, _, _)| q == "ads.approve_campaign")
            .unwrap();
        assert_eq!(
            approve.1["waivers"],
            json!([
                {"channel": "meta", "note": "the copy comes from the client's own agency"},
                {"channel": "email", "note": "the copy comes from the client's own agency"}
            ])
        );
        // The campaign was read in the starter's name with ads:read only.
        let read = fake
            .identities
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find(|(q, _)| q == "ads.get_campaign")
            .cloned()
            .unwrap();
        assert_eq!(read.1, Some(vec!["ads:read".to_owned()]));
        t.cleanup().await;
    }
}

/// A failed call is tried again by a resume only when repeating it cannot
/// take effect twice (its idempotency key); otherwise the run stays failed
/// and nothing is called.
#[tokio::test]
async fn resume_retries_a_failed_step_only_when_it_is_safe() {
    for t in backends(&crate::MIGRATIONS).await.unwrap() {
        let tenant = TenantId::from_trusted("t1".into());
        let store = RunStore::new(t.db.clone());
        let fake = Fake::default();
        let runner = Runner::new(&fake, &store, tenant.clone(), "agent");
        // Drafting a campaign (no key, not idempotent) fails.
        fake.fail_once
            .lock()
            .unwrap()
            .insert("ads.generate_campaign".into());
        let r = runner.start(launch_src(), &params()).await.unwrap();
        assert_eq!(r.run.status, RunStatus::Failed);
        let calls = fake.calls.lock().unwrap().len();
        let again = runner
            .resume(&r.run.id, &ResumeOpts::default())
            .await
            .unwrap();
        assert_eq!(again.run.status, RunStatus::Failed, "{}", t.label());
        assert_eq!(fake.calls.lock().unwrap().len(), calls);

        // The launch tool (called with its idempotency key) fails — first
        // at the dry run, a step of its own: a resume tries it again with
        // the same key, and the run can finish.
        let r = runner.start(launch_src(), &params()).await.unwrap();
        decide(
            &store,
            &approver(&tenant),
            &r.waiting_on.unwrap().id,
            true,
            None,
        )
        .await
        .unwrap();
        fake.fail_once
            .lock()
            .unwrap()
            .insert("ads.launch_campaign".into());
        let r = runner
            .resume(&r.run.id, &ResumeOpts::default())
            .await
            .unwrap();
        assert_eq!(r.run.status, RunStatus::Failed, "{:?}", r.run.error);
        let failed = r
            .steps
            .iter()
            .find(|s| s.status == StepStatus::Failed)
            .unwrap()
            .step_key
            .clone();
        assert_eq!(failed, "preview");
        let r = runner
            .resume(&r.run.id, &ResumeOpts::default())
            .await
            .unwrap();
        assert_eq!(r.run.status, RunStatus::Succeeded, "{:?}", r.run.error);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn steps_in_the_starters_name_never_carry_a_privilege() {
    let fake = Fake::default();
    let launch = fake.tool("ads.launch_campaign");
    let e = super::step::as_starter("agent", "ads.launch_campaign", launch.as_ref()).unwrap_err();
    assert!(e.to_string().contains("privileged `ads:launch`"), "{e}");
    let attach = fake.tool("ads.attach_content");
    let id = super::step::as_starter("agent", "ads.attach_content", attach.as_ref()).unwrap();
    assert_eq!(
        (id.actor.as_str(), id.scopes),
        ("agent", vec!["ads:write".to_owned()])
    );
    let e = Recipe::parse(
        "name = \"x\"\n[[steps]]\nid = \"a\"\ntool = \"run.check\"\nas = \"starter\"",
    )
    .unwrap_err();
    assert!(e.to_string().contains("steps.a.as"), "{e}");
}
