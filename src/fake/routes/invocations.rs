//! Invocations: `GET /v1/convai/test-invocations` (the listing),
//! `GET /v1/convai/test-invocations/{id}` and `POST .../{id}/resubmit`.

use hyper::StatusCode;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::Ctx;
use crate::fake::cursor::{encode_cursor, paginate, read_cursor};
use crate::fake::http::{
    Resp, json_response, not_found, param, parse_body, parse_int_param, unprocessable,
};
use crate::fake::state::{Definition, Invocation, Kind, Progress, RunResult, schedule};
use crate::types::{
    GetTestInvocationsPageResponseModel, ListResponseMeta, ResubmitTestsRequestModel,
    TestInvocationSummaryResponseModel, UpdateTestInvocationRequestModel,
};

/// `GET /test-invocations`: newest first, the created invocations before the seeded ones;
/// counts as of this request.
pub(crate) fn list(ctx: &Ctx<'_>) -> Resp {
    let query = ctx.query;
    // An empty `agent_id` means no filter, as `if agent_id:` does upstream.
    let agent_id = param(query, "agent_id").filter(|a| !a.is_empty());
    // FastAPI reports every invalid parameter at once.
    let mut errors = Vec::new();
    // Without a default in the spec, a page is everything.
    let page_size = parse_int_param(
        &ctx.param_facts("page_size"),
        "page_size",
        param(query, "page_size"),
    )
    .unwrap_or_else(|e| {
        errors.push(e);
        None
    })
    .unwrap_or(i64::MAX);
    let seed = ctx.shared.seed;
    // The cursor's key is the position (`seq`) of the last item served: seeded invocation `i`
    // (newest first) has seq `n - 1 - i`, created invocation `j` has seq `n + j`.
    let after = read_cursor(
        seed,
        agent_id,
        param(query, "cursor"),
        "this agent_id filter",
    )
    .unwrap_or_else(|e| {
        errors.push(e);
        None
    });
    if !errors.is_empty() {
        return unprocessable(errors);
    }

    let now = Instant::now();
    let seeded = &ctx.shared.data.invocations;
    let n = seeded.len() as u64;
    let store = ctx.store();
    let keep = |a: Option<&str>| agent_id.is_none() || a == agent_id;
    // (seq, summary source) newest first.
    let created = store
        .created
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, inv)| keep(Some(&inv.agent_id)))
        .map(|(j, _)| (n + j as u64, Source::Created(j)));
    let old = seeded
        .iter()
        .enumerate()
        .filter(|(_, inv)| keep(inv.agent_id.as_deref()))
        .map(|(i, _)| (n - 1 - i as u64, Source::Seeded(i)));
    let page_size = usize::try_from(page_size).unwrap_or(usize::MAX);
    let found = paginate(created.chain(old), after, page_size);
    let results: Vec<TestInvocationSummaryResponseModel> = found
        .items
        .iter()
        .map(|s| match s {
            Source::Created(j) => store.created[*j].summary(now),
            Source::Seeded(i) => store
                .materialized
                .get(&seeded[*i].id)
                .map(|inv| inv.summary(now))
                .unwrap_or_else(|| seeded[*i].clone()),
        })
        .collect();
    let body = GetTestInvocationsPageResponseModel {
        has_more: found.next.is_some(),
        meta: ListResponseMeta {
            page: Some((found.before / page_size as u64) as i64 + 1),
            page_size: Some(i64::try_from(page_size).unwrap_or(i64::MAX)),
            total: Some(found.total as i64),
        },
        next_cursor: found.next.map(|s| encode_cursor(seed, agent_id, s)),
        results,
    };
    let mut body = serde_json::to_value(&body).unwrap_or(Value::Null);
    with_nulls(ctx.tables(), &mut body);
    json_response(StatusCode::OK, &body)
}

/// Where a listed invocation comes from.
enum Source {
    Created(usize),
    Seeded(usize),
}

/// FastAPI serialises `None` as `null` rather than leaving the key out; the generated types
/// skip `None`, so put the nulls back for the fields the spec declares nullable: of the page,
/// of each summary and of its access info.
fn with_nulls(tables: &crate::spec::Tables, page: &mut Value) {
    let fill = |object: &mut Value, schema: &str| {
        if let Value::Object(map) = object {
            for field in tables.fields_of(schema).filter(|f| f.facts.nullable) {
                map.entry(field.field.clone()).or_insert(Value::Null);
            }
        }
    };
    fill(page, "GetTestInvocationsPageResponseModel");
    if let Some(Value::Array(results)) = page.get_mut("results") {
        for item in results {
            fill(item, "TestInvocationSummaryResponseModel");
            if let Some(access) = item.get_mut("access_info").filter(|a| a.is_object()) {
                fill(access, "ResourceAccessInfo");
            }
        }
    }
}

/// A created, materialised or seeded invocation by id.
fn find(ctx: &Ctx<'_>, store: &crate::fake::state::Store, id: &str) -> Option<Invocation> {
    if let Some(inv) = store.live_invocation(id) {
        return Some(inv.clone());
    }
    let index = ctx
        .shared
        .data
        .invocations
        .iter()
        .position(|i| i.id == id)?;
    store.seeded_invocation(&ctx.shared.data, ctx.shared.seed, index)
}

/// `GET /test-invocations/{id}`: runs and their status as of this request.
pub(crate) fn get(ctx: &Ctx<'_>, id: &str) -> Resp {
    let store = ctx.store();
    let Some(invocation) = find(ctx, &store, id) else {
        return not_found("test_invocation", id);
    };
    let json = serde_json::to_value(invocation.detail(Instant::now())).unwrap_or(Value::Null);
    json_response(StatusCode::OK, &json)
}

/// The invocation `id` as a live (mutable) one of the store: a seeded invocation is
/// materialised on its first change. `None` when there is no such invocation.
fn live<'s>(
    ctx: &Ctx<'_>,
    store: &'s mut crate::fake::state::Store,
    id: &str,
) -> Option<&'s mut Invocation> {
    if store.live_invocation(id).is_none() {
        let invocation = find(ctx, store, id)?;
        store.materialized.insert(id.to_owned(), invocation);
    }
    store.live_invocation_mut(id)
}

/// `POST /test-invocations/{id}/cancel`: every run still pending is `cancelled` (finished
/// runs keep their result) and the invocation is marked cancelled. `200 {}`.
pub(crate) fn cancel(ctx: &Ctx<'_>, id: &str) -> Resp {
    let mut store = ctx.store();
    let now = Instant::now();
    let Some(invocation) = live(ctx, &mut store, id) else {
        return not_found("test_invocation", id);
    };
    for run in &mut invocation.runs {
        if run.outcome(now).is_none() {
            run.progress = Progress::Fixed(Some(RunResult::Cancelled));
        }
    }
    invocation.cancelled = true;
    json_response(StatusCode::OK, &json!({}))
}

/// `PATCH /test-invocations/{id}`: sets the user-provided name (`null` restores the
/// generated title); answers the invocation.
pub(crate) fn rename(ctx: &Ctx<'_>, id: &str) -> Resp {
    let (body, _) =
        match parse_body::<UpdateTestInvocationRequestModel>(ctx.body, &ctx.body_rules()) {
            Ok(b) => b,
            Err(r) => return r,
        };
    let mut store = ctx.store();
    let Some(invocation) = live(ctx, &mut store, id) else {
        return not_found("test_invocation", id);
    };
    invocation.name = body.name;
    let invocation = invocation.clone();
    let json = serde_json::to_value(invocation.detail(Instant::now())).unwrap_or(Value::Null);
    json_response(StatusCode::OK, &json)
}

/// A test's current name, kind and definition.
type CurrentTest = (String, Kind, Definition);

/// `POST /test-invocations/{id}/resubmit`: the named runs are pending again and finish after
/// the run duration, with the outcome of the rule for the test's current name (a `[flaky]`
/// test passes: a resubmit is not its first run), against a draft when the body has an
/// `agent_config_override`. `200 {}`.
pub(crate) fn resubmit(ctx: &Ctx<'_>, id: &str) -> Resp {
    let (body, _) = match parse_body::<ResubmitTestsRequestModel>(ctx.body, &ctx.body_rules()) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut store = ctx.store();
    let Some(invocation) = find(ctx, &store, id) else {
        return not_found("test_invocation", id);
    };
    if store.agent(&body.agent_id).is_none() {
        return not_found("agent", &body.agent_id);
    }
    if let Some(unknown) = body
        .test_run_ids
        .iter()
        .find(|r| !invocation.runs.iter().any(|run| &run.id == *r))
    {
        return not_found("test_run", unknown);
    }
    if store.live_invocation(id).is_none() {
        store.materialized.insert(id.to_owned(), invocation);
    }
    // The current name and definition of each test (a renamed test is re-run as renamed).
    let current: Vec<(String, Option<CurrentTest>)> = body
        .test_run_ids
        .iter()
        .map(|r| {
            let test = store.live_invocation(id).and_then(|inv| {
                let run = inv.runs.iter().find(|run| &run.id == r)?;
                let e = store.test(&run.test_id)?;
                let (kind, def) = e.test.clone()?;
                Some((e.name.clone(), kind, def))
            });
            (r.clone(), test)
        })
        .collect();
    let (clock, base) = (store.clock, store.run_duration);
    let now = Instant::now();
    if let Some(inv) = store.live_invocation_mut(id) {
        for (k, (run_id, test)) in current.into_iter().enumerate() {
            if let Some(run) = inv.runs.iter_mut().find(|run| run.id == run_id) {
                if let Some((name, kind, def)) = test {
                    run.test_name = name;
                    run.kind = kind;
                    run.definition = Some(def);
                }
                if body.branch_id.is_some() {
                    run.branch_id = body.branch_id.clone();
                }
                // Resubmitted with an override: against a draft; without one: the agent's own.
                run.draft = body.agent_config_override.is_some();
                // A resubmit is never the test's first run in the invocation.
                schedule(clock, base, run, k, false, now);
            }
        }
    }
    json_response(StatusCode::OK, &json!({}))
}
