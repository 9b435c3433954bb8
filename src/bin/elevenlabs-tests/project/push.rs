//! `tests diff` and `tests push`: the plan, then (for push) its steps, in order: creates
//! (folders first), updates, deletes with `--prune`. A step that fails stops the push; what
//! was applied is printed with what was not, and `tests.json` records every test created,
//! so that running push again finishes the job.

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};

use serde_json::json;

use elevenlabs_agent_tests::Client;

use super::plan::{self, Plan};
use super::remote::{self, Listing};
use super::validate::{self, FolderWant};
use super::{Entry, LocalTest, Project};
use crate::args::{DiffArgs, ProjectArgs, PushArgs};
use crate::failure::{EXIT_OK, EXIT_TESTS_FAILED, Failure};

/// A project, its checked tests, the remote listing, and the plan between them.
pub struct Prepared {
    /// The project.
    pub project: Project,
    /// Its tests, checked.
    pub locals: Vec<LocalTest>,
    /// The remote tests and folders.
    pub listing: Listing,
    /// What a push does.
    pub plan: Plan,
}

/// Reads and checks the project (every config, before any request), then the remote side
/// (one listing, a GET per test of the project), and computes the plan.
pub async fn prepare(client: &Client, args: &ProjectArgs) -> Result<Prepared, Failure> {
    let project = Project::open_existing(&args.dir)?;
    let locals = project.load_tests()?;
    let listing = Listing::fetch(client).await?;
    let ids: Vec<String> = locals
        .iter()
        .filter_map(|t| t.id.clone())
        .filter(|id| listing.test(id).is_some())
        .collect();
    let remote: HashMap<String, validate::Body> =
        remote::get_tests(client, ids, args.concurrency.into())
            .await?
            .into_iter()
            .map(|(id, body)| (id, validate::normalize_remote(&body)))
            .collect();
    let plan = plan::compute(&locals, &listing, &remote);
    Ok(Prepared {
        project,
        locals,
        listing,
        plan,
    })
}

/// Prints the plan (one JSON document with `--json`).
fn show_plan(out: &mut dyn Write, json: bool, plan: &Plan) -> Result<(), Failure> {
    if json {
        crate::output::json_line(out, plan)
    } else {
        plan::print(out, plan)
    }
}

/// Runs `tests diff`: exit 1 with `--exit-code` when the plan has changes.
pub async fn diff(
    client: &Client,
    out: &mut dyn Write,
    json: bool,
    args: DiffArgs,
) -> Result<u8, Failure> {
    let prepared = prepare(client, &args.project).await?;
    show_plan(out, json, &prepared.plan)?;
    Ok(if args.exit_code && prepared.plan.has_changes() {
        EXIT_TESTS_FAILED
    } else {
        EXIT_OK
    })
}

/// One write of a push, for the report.
#[derive(Debug, Clone, serde::Serialize)]
struct Step {
    action: &'static str,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.action, self.name)?;
        if let Some(id) = &self.id {
            write!(f, " ({id})")?;
        }
        Ok(())
    }
}

/// Runs `tests push`.
pub async fn push(
    client: &Client,
    out: &mut dyn Write,
    json: bool,
    args: PushArgs,
) -> Result<u8, Failure> {
    let Prepared {
        mut project,
        locals,
        listing,
        plan,
    } = prepare(client, &args.project).await?;
    if args.dry_run {
        show_plan(out, json, &plan)?;
        return Ok(EXIT_OK);
    }
    let prune = args.prune && !plan.remote_only.is_empty();
    if prune && !args.yes {
        confirm_prune(&plan)?;
    }
    // Every body is built before the first write: one that cannot be is an error now.
    for c in &plan.create {
        let local = &locals[c.local];
        local
            .body
            .create_body(None)
            .map_err(|e| Failure::Usage(format!("{}: cannot be created: {e}", local.config)))?;
    }
    if !json {
        plan::print(out, &plan)?;
    }
    let mut steps: Vec<Step> = Vec::new();
    for c in &plan.create {
        steps.push(Step {
            action: "create",
            name: c.name.clone(),
            id: None,
        });
    }
    for u in &plan.update {
        steps.push(Step {
            action: "update",
            name: u.name.clone(),
            id: Some(u.id.clone()),
        });
    }
    if prune {
        for r in &plan.remote_only {
            steps.push(Step {
                action: "delete",
                name: r.name.clone(),
                id: Some(r.id.clone()),
            });
        }
    }
    let mut folders = Folders {
        client,
        by_path: listing.folders_by_path(),
    };
    let mut applied: Vec<Step> = Vec::new();
    let total = steps.len();
    let result = apply(
        client,
        &mut project,
        &locals,
        &plan,
        prune,
        &mut folders,
        &mut applied,
        out,
        json,
    )
    .await;
    if let Err(e) = result {
        let _ = out.flush();
        eprintln!("push stopped after {} of {total} changes", applied.len());
        for step in &applied {
            eprintln!("  applied:     {step}");
        }
        for step in steps.iter().skip(applied.len()) {
            eprintln!("  not applied: {step}");
        }
        eprintln!("run `elevenlabs-tests tests push` again to apply the rest");
        return Err(e);
    }
    if json {
        crate::output::json_line(out, &json!({"plan": plan, "applied": applied}))?;
    } else if total == 0 {
        writeln!(out, "nothing to push")?;
    } else {
        writeln!(
            out,
            "applied {total} change{}",
            if total == 1 { "" } else { "s" }
        )?;
    }
    Ok(EXIT_OK)
}

/// Asks before `--prune` deletes tests: on a terminal, a question; elsewhere, a refusal.
fn confirm_prune(plan: &Plan) -> Result<(), Failure> {
    let n = plan.remote_only.len();
    if !std::io::stdin().is_terminal() {
        return Err(Failure::Usage(format!(
            "--prune would delete {n} remote test{} not in the project; pass --yes to confirm (stdin is not a terminal)",
            if n == 1 { "" } else { "s" }
        )));
    }
    for r in &plan.remote_only {
        eprintln!("delete: {} ({})", r.name, r.id);
    }
    eprint!("delete these {n} remote tests? [y/N] ");
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::Usage(format!("cannot read the answer: {e}")))?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(Failure::Usage(
            "push cancelled; nothing was written".to_owned(),
        ))
    }
}

/// The remote folders by path, created when missing.
struct Folders<'a> {
    client: &'a Client,
    by_path: HashMap<Vec<String>, String>,
}

impl Folders<'_> {
    /// The id of the folder at `names` (`None`: the root), creating the missing ones.
    async fn ensure(&mut self, names: &[String]) -> Result<Option<String>, Failure> {
        let mut parent: Option<String> = None;
        for depth in 1..=names.len() {
            let path = names[..depth].to_vec();
            let id = match self.by_path.get(&path) {
                Some(id) => id.clone(),
                None => {
                    let name = names[depth - 1].clone();
                    let parent_id = parent.clone();
                    let created = self
                        .client
                        .create_test_folder()
                        .body_map(move |b| b.name(name).parent_folder_id(parent_id))
                        .send()
                        .await?
                        .into_inner();
                    eprintln!("created folder {}", path.join("/"));
                    self.by_path.insert(path, created.id.clone());
                    created.id
                }
            };
            parent = Some(id);
        }
        Ok(parent)
    }

    /// The folder a test goes to: `keep` (its remote one) when the project says nothing.
    async fn resolve(
        &mut self,
        want: &FolderWant,
        keep: Option<String>,
    ) -> Result<Option<String>, Failure> {
        match want {
            FolderWant::Unspecified => Ok(keep),
            FolderWant::Path(names) => self.ensure(names).await,
            FolderWant::Id(id) => Ok(Some(id.clone())),
        }
    }
}

/// The steps of a push, in order; each applied one is appended to `applied`.
#[allow(clippy::too_many_arguments)]
async fn apply(
    client: &Client,
    project: &mut Project,
    locals: &[LocalTest],
    plan: &Plan,
    prune: bool,
    folders: &mut Folders<'_>,
    applied: &mut Vec<Step>,
    out: &mut dyn Write,
    json: bool,
) -> Result<(), Failure> {
    for c in &plan.create {
        let local = &locals[c.local];
        let folder = folders.resolve(&local.folder, None).await?;
        let body = local
            .body
            .create_body(folder.as_deref())
            .map_err(|e| Failure::Usage(format!("{}: cannot be created: {e}", local.config)))?;
        let id = client
            .create_test()
            .body(body)
            .send()
            .await?
            .into_inner()
            .id;
        match local.entry {
            Some(i) => project.manifest.tests[i].id = Some(id.clone()),
            None => project.manifest.tests.push(Entry {
                config: local.config.clone(),
                kind: local.body.kind.clone(),
                id: Some(id.clone()),
                folder_path: None,
                extra: Default::default(),
            }),
        }
        let step = Step {
            action: "created",
            name: c.name.clone(),
            id: Some(id),
        };
        // The id is recorded at once: an interrupted push leaves a project a rerun completes.
        project.save()?;
        if !json {
            writeln!(out, "{step}")?;
        }
        applied.push(step);
    }
    for u in &plan.update {
        let local = &locals[u.local];
        let folder = folders
            .resolve(&local.folder, u.remote_folder.clone())
            .await?;
        let body = local
            .body
            .update_body(folder.as_deref())
            .map_err(|e| Failure::Usage(format!("{}: {e}", local.config)))?;
        client
            .update_test()
            .test_id(u.id.as_str())
            .body(body)
            .send()
            .await?;
        let step = Step {
            action: "updated",
            name: u.name.clone(),
            id: Some(u.id.clone()),
        };
        if !json {
            writeln!(out, "{step}")?;
        }
        applied.push(step);
    }
    if prune {
        for r in &plan.remote_only {
            client.delete_test().test_id(r.id.as_str()).send().await?;
            let step = Step {
                action: "deleted",
                name: r.name.clone(),
                id: Some(r.id.clone()),
            };
            if !json {
                writeln!(out, "{step}")?;
            }
            applied.push(step);
        }
    }
    Ok(())
}
