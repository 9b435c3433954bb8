//! `tests pull`: the remote tests written into the project, one config file each, and
//! `tests.json`. A file whose content is already right is not rewritten.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;

use elevenlabs_agent_tests::Client;
use elevenlabs_agent_tests::types::UnitTestSummaryResponseModel;

use super::remote::{self, Listing};
use super::{Entry, Project};
use crate::args::PullArgs;
use crate::failure::{EXIT_OK, Failure};

/// What a pull wrote.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Pulled {
    /// Config files written for tests new to the project.
    pub new: Vec<String>,
    /// Config files rewritten because the remote test changed.
    pub changed: Vec<String>,
    /// Tests whose file was already right.
    pub unchanged: usize,
    /// Whether `tests.json` was written.
    pub index_written: bool,
}

/// Which remote tests a pull takes: `--test` ids, `--folder` (a folder id, anywhere below
/// it; `root`: the tests at the root), and with `--update` only those in the project.
pub fn select<'a>(
    listing: &'a Listing,
    args: &PullArgs,
    project: &Project,
) -> Result<Vec<&'a UnitTestSummaryResponseModel>, Failure> {
    for id in &args.tests {
        if listing.test(id).is_none() {
            return Err(Failure::Usage(format!("--test {id}: no such test")));
        }
    }
    let known: BTreeSet<&str> = project
        .manifest
        .tests
        .iter()
        .filter_map(|e| e.id.as_deref())
        .collect();
    let mut selected: Vec<&UnitTestSummaryResponseModel> = listing
        .tests
        .iter()
        .filter(|t| args.tests.is_empty() || args.tests.contains(&t.id))
        .filter(|t| match args.folder.as_deref() {
            None => true,
            Some("root") => remote::folder_id(t).is_none(),
            Some(folder) => t.folder_path.iter().any(|s| s.id == folder),
        })
        .filter(|t| !args.update || known.contains(t.id.as_str()))
        .collect();
    // Oldest first, so that of two tests with one name the older keeps the plain file name.
    selected.sort_by(|a, b| (a.created_at_unix_secs, &a.id).cmp(&(b.created_at_unix_secs, &b.id)));
    Ok(selected)
}

/// Runs `tests pull`.
pub async fn run(
    client: &Client,
    out: &mut dyn Write,
    json: bool,
    args: PullArgs,
) -> Result<u8, Failure> {
    let mut project = Project::open(&args.project.dir)?;
    let listing = Listing::fetch(client).await?;
    let selected = select(&listing, &args, &project)?;
    let ids: Vec<String> = selected.iter().map(|t| t.id.clone()).collect();
    let bodies = remote::get_tests(client, ids, args.project.concurrency.into()).await?;
    let summaries: HashMap<&str, &UnitTestSummaryResponseModel> =
        selected.iter().map(|t| (t.id.as_str(), *t)).collect();
    let mut taken: BTreeSet<String> = project
        .manifest
        .tests
        .iter()
        .map(|e| e.config.to_lowercase())
        .collect();
    // Nor a file of the project that tests.json does not name (a test not pushed yet).
    taken.extend(
        super::config_files(&project.root)?
            .iter()
            .map(|c| c.to_lowercase()),
    );
    let mut pulled = Pulled::default();
    for (id, body) in bodies {
        let kind = body
            .get("type")
            .and_then(|k| k.as_str())
            .unwrap_or("")
            .to_owned();
        let name = body
            .get("name")
            .and_then(|k| k.as_str())
            .unwrap_or("")
            .to_owned();
        let folder_path = summaries.get(id.as_str()).map(|s| remote::folder_names(s));
        let index = project
            .manifest
            .tests
            .iter()
            .position(|e| e.id.as_deref() == Some(id.as_str()));
        let is_new = index.is_none();
        let index = index.unwrap_or_else(|| {
            let config = super::new_config_path(&name, &mut taken);
            project.manifest.tests.push(Entry {
                config,
                kind: kind.clone(),
                id: Some(id.clone()),
                folder_path: None,
                extra: Default::default(),
            });
            project.manifest.tests.len() - 1
        });
        let entry = &mut project.manifest.tests[index];
        entry.kind = kind;
        entry.folder_path = folder_path;
        let path = project.root.join(&entry.config);
        let wrote = super::write_if_changed(&path, &super::pretty(&body)?)?;
        if is_new {
            pulled.new.push(entry.config.clone());
        } else if wrote {
            pulled.changed.push(entry.config.clone());
        } else {
            pulled.unchanged += 1;
        }
    }
    pulled.index_written = project.save()?;
    if json {
        crate::output::json_line(out, &pulled)?;
    } else {
        for config in &pulled.new {
            writeln!(out, "new      {config}")?;
        }
        for config in &pulled.changed {
            writeln!(out, "updated  {config}")?;
        }
        writeln!(
            out,
            "pulled {} test{} into {}: {} new, {} updated, {} unchanged",
            pulled.new.len() + pulled.changed.len() + pulled.unchanged,
            if pulled.new.len() + pulled.changed.len() + pulled.unchanged == 1 {
                ""
            } else {
                "s"
            },
            args.project.dir.display(),
            pulled.new.len(),
            pulled.changed.len(),
            pulled.unchanged
        )?;
    }
    Ok(EXIT_OK)
}
