//! Tests: list, create, get, update, delete, summaries by ids, bulk move.

use std::collections::HashSet;

use hyper::StatusCode;
use serde_json::{Value, json};

use super::Ctx;
use crate::fake::cursor::{encode_cursor, paginate, read_cursor};
use crate::fake::http::{
    Resp, api_error, json_response, not_found, ok, param, params, parse_body, parse_bool_param,
    parse_enum_param, parse_int_param, parse_tagged_body, unprocessable, verr,
};
use crate::fake::state::{Entity, Kind};
use crate::fake::suites::{split_create, split_definition};
use crate::types::{
    BodyBulkMoveTestsToFolderV1ConvaiAgentTestingBulkMovePost as BulkMoveBody,
    CreateAgentTestResponseModel, CreateTestBody, GetTestsPageResponseModel,
    GetTestsSummariesByIdsResponseModel, ListTestsByIdsRequestModel, ListTestsSortMode,
    TestSharingMode, UpdateTestBody,
};

/// `GET /agent-testing`: filters, sort, cursor pagination.
pub(crate) fn list(ctx: &Ctx<'_>) -> Resp {
    let q = ctx.query;
    let mut errors = Vec::new();
    // Without a default in the spec, a page is everything.
    let page_size = parse_int_param(
        &ctx.param_facts("page_size"),
        "page_size",
        param(q, "page_size"),
    )
    .unwrap_or_else(|e| {
        errors.push(e);
        None
    })
    .unwrap_or(i64::MAX);
    let search = param(q, "search")
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase);
    let parent = param(q, "parent_folder_id").filter(|s| !s.is_empty());
    let mut types: Vec<&str> = Vec::new();
    for (i, raw) in params(q, "types").into_iter().enumerate() {
        match parse_enum_param("types", raw, &ctx.param_values("types")) {
            Ok(t) => types.push(t),
            Err(mut e) => {
                e["loc"] = json!(["query", "types", i]);
                errors.push(e);
            }
        }
    }
    let include_folders = parse_bool_param("include_folders", param(q, "include_folders"))
        .unwrap_or_else(|e| {
            errors.push(e);
            None
        });
    let sort_default = ctx.str_default("sort_mode");
    let sort = param(q, "sort_mode").unwrap_or(&sort_default);
    let sort =
        parse_enum_param("sort_mode", sort, &ctx.param_values("sort_mode")).unwrap_or_else(|e| {
            errors.push(e);
            &sort_default
        });
    let sharing_default = ctx.str_default("sharing_mode");
    let sharing = param(q, "sharing_mode").unwrap_or(&sharing_default);
    let sharing = parse_enum_param("sharing_mode", sharing, &ctx.param_values("sharing_mode"))
        .unwrap_or_else(|e| {
            errors.push(e);
            &sharing_default
        });
    let mut sorted_types = types.clone();
    sorted_types.sort_unstable();
    sorted_types.dedup();
    let scope = format!(
        "tests\u{1}{search:?}\u{1}{parent:?}\u{1}{sorted_types:?}\u{1}{include_folders:?}\u{1}{sort}\u{1}{sharing}"
    );
    let after = read_cursor(
        ctx.shared.seed,
        Some(&scope),
        param(q, "cursor"),
        "these filters",
    )
    .unwrap_or_else(|e| {
        errors.push(e);
        None
    });
    if !errors.is_empty() {
        return unprocessable(errors);
    }

    let with_folders = if types.is_empty() {
        include_folders == Some(true)
    } else {
        types.contains(&"folder")
    };
    let folders_first = sort.parse() == Ok(ListTestsSortMode::FoldersFirst);
    let shared_with_me = sharing.parse() == Ok(TestSharingMode::SharedWithMe);
    let store = ctx.store();
    let key = |e: &Entity| -> u64 {
        let group = u64::from(folders_first && e.is_folder());
        (group << 31) | (e.seq & 0x7FFF_FFFF)
    };
    let keep = |e: &Entity| -> bool {
        let kind_ok = match &e.test {
            None => with_folders,
            Some((kind, _)) => types.is_empty() || types.contains(&kind.tag().as_str()),
        };
        let search_ok = search
            .as_deref()
            .is_none_or(|s| e.name.to_lowercase().contains(s));
        let parent_ok = match parent {
            None => true,
            Some("root") => e.parent.is_none(),
            Some(p) => e.parent.as_deref() == Some(p),
        };
        let sharing_ok = !shared_with_me || e.shared;
        kind_ok && search_ok && parent_ok && sharing_ok
    };
    let mut matching: Vec<&Entity> = store.entities.values().filter(|e| keep(e)).collect();
    matching.sort_by_key(|e| std::cmp::Reverse(key(e)));
    let found = paginate(
        matching.into_iter().map(|e| (key(e), e)),
        after,
        page_size as usize,
    );
    let page = GetTestsPageResponseModel {
        has_more: found.next.is_some(),
        next_cursor: found
            .next
            .map(|k| encode_cursor(ctx.shared.seed, Some(&scope), k)),
        tests: found.items.iter().map(|e| store.summary(e)).collect(),
    };
    let mut body = serde_json::to_value(&page).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut body {
        map.entry("next_cursor").or_insert(Value::Null);
    }
    json_response(StatusCode::OK, &body)
}

/// `POST /agent-testing/create`.
pub(crate) fn create(ctx: &Ctx<'_>) -> Resp {
    let (body, _, _) = match parse_tagged_body::<CreateTestBody>(ctx.body, &ctx.kinds(), &|tag| {
        ctx.kind_rules(tag)
    }) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some((kind, (name, parent, def))) = split_create(&body) else {
        return unprocessable(vec![verr(
            vec![json!("body")],
            "value_error",
            "Value error, invalid test definition".to_owned(),
            Value::Null,
            None,
        )]);
    };
    let mut store = ctx.store();
    if let Some(p) = &parent
        && store.folder(p).is_none()
    {
        return not_found("folder", p);
    }
    let now = store.now_unix();
    let id = store.insert(name, parent, Some((kind, def)), now, false);
    ok(&CreateAgentTestResponseModel { id })
}

/// `GET /agent-testing/{id}`.
pub(crate) fn get(ctx: &Ctx<'_>, id: &str) -> Resp {
    let store = ctx.store();
    match store.test(id).and_then(|e| store.get_test(e)) {
        Some(t) => ok(&t),
        None => not_found("test", id),
    }
}

/// `PUT /agent-testing/{id}`: replaces the test (its kind cannot change).
pub(crate) fn update(ctx: &Ctx<'_>, id: &str) -> Resp {
    let (body, tag, _) = match parse_tagged_body::<UpdateTestBody>(ctx.body, &ctx.kinds(), &|tag| {
        ctx.kind_rules(tag)
    }) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut store = ctx.store();
    let Some(kind) = store
        .test(id)
        .and_then(|e| e.test.as_ref())
        .map(|(k, _)| *k)
    else {
        return not_found("test", id);
    };
    if Kind::from_tag(&tag) != Some(kind) {
        return unprocessable(vec![verr(
            vec![json!("body"), json!("type")],
            "value_error",
            format!(
                "Value error, the test is of type '{}'; its type cannot change",
                kind.tag()
            ),
            json!(tag),
            None,
        )]);
    }
    let Some((name, parent, def)) = serde_json::to_value(&body).ok().and_then(split_definition)
    else {
        return not_found("test", id);
    };
    if let Some(p) = &parent
        && store.folder(p).is_none()
    {
        return not_found("folder", p);
    }
    store.update_test(id, name, parent, def);
    match store.test(id).and_then(|e| store.get_test(e)) {
        Some(t) => ok(&t),
        None => not_found("test", id),
    }
}

/// `DELETE /agent-testing/{id}`: `200 {}`.
pub(crate) fn delete(ctx: &Ctx<'_>, id: &str) -> Resp {
    let mut store = ctx.store();
    if store.test(id).is_none() {
        return not_found("test", id);
    }
    store.remove(id);
    json_response(StatusCode::OK, &json!({}))
}

/// `POST /agent-testing/summaries`: the summaries of the known ids (unknown ids are left
/// out); duplicates are a 422.
pub(crate) fn summaries(ctx: &Ctx<'_>) -> Resp {
    let (body, raw) = match parse_body::<ListTestsByIdsRequestModel>(ctx.body, &ctx.body_rules()) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut seen = HashSet::new();
    if let Some(dup) = body.test_ids.iter().find(|id| !seen.insert(id.as_str())) {
        return unprocessable(vec![verr(
            vec![json!("body"), json!("test_ids")],
            "value_error",
            format!("Value error, duplicate test id {dup:?}: test_ids must be unique"),
            raw["test_ids"].clone(),
            Some(json!({"error": "duplicate test ids"})),
        )]);
    }
    let store = ctx.store();
    let tests = body
        .test_ids
        .iter()
        .filter_map(|id| store.test(id).map(|e| (id.clone(), store.summary(e))))
        .collect();
    ok(&GetTestsSummariesByIdsResponseModel { tests })
}

/// `POST /agent-testing/bulk-move`: `200 {}`; moving a folder into itself or one of its
/// subfolders is `409 invalid_move`.
pub(crate) fn bulk_move(ctx: &Ctx<'_>) -> Resp {
    let (body, _) = match parse_body::<BulkMoveBody>(ctx.body, &ctx.body_rules()) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut store = ctx.store();
    if let Some(to) = &body.move_to
        && store.folder(to).is_none()
    {
        return not_found("folder", to);
    }
    for id in &body.entity_ids {
        let Some(e) = store.entity(id) else {
            return not_found("entity", id);
        };
        if let Some(to) = &body.move_to
            && e.is_folder()
            && store.is_within(to, id)
        {
            return api_error(
                StatusCode::CONFLICT,
                "invalid_move",
                format!("The folder {id:?} cannot be moved into itself or one of its subfolders."),
            );
        }
    }
    for id in &body.entity_ids {
        store.set_parent(id, body.move_to.clone());
    }
    json_response(StatusCode::OK, &json!({}))
}
