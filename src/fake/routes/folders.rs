//! Folders: `POST /v1/convai/agent-testing/folders` and
//! `GET/PATCH/DELETE /v1/convai/agent-testing/folders/{folder_id}`.

use hyper::StatusCode;

use super::Ctx;
use crate::fake::http::{
    Resp, api_error, empty, not_found, ok, param, parse_body, parse_bool_param, unprocessable,
};
use crate::types::{
    BodyCreateAgentTestFolderV1ConvaiAgentTestingFoldersPost as CreateBody,
    BodyUpdateAgentTestFolderV1ConvaiAgentTestingFoldersFolderIdPatch as UpdateBody,
    CreateAgentTestFolderResponseModel,
};

/// `POST /agent-testing/folders`.
pub(crate) fn create(ctx: &Ctx<'_>) -> Resp {
    let (body, _) = match parse_body::<CreateBody>(ctx.body, &ctx.body_rules()) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut store = ctx.store();
    if let Some(parent) = &body.parent_folder_id
        && store.folder(parent).is_none()
    {
        return not_found("folder", parent);
    }
    let now = store.now_unix();
    let id = store.insert(body.name.clone(), body.parent_folder_id, None, now, false);
    ok(&CreateAgentTestFolderResponseModel {
        id,
        name: body.name,
    })
}

/// `GET /agent-testing/folders/{id}`.
pub(crate) fn get(ctx: &Ctx<'_>, id: &str) -> Resp {
    let store = ctx.store();
    match store.folder(id) {
        Some(f) => ok(&store.folder_model(f)),
        None => not_found("folder", id),
    }
}

/// `PATCH /agent-testing/folders/{id}`: renames.
pub(crate) fn update(ctx: &Ctx<'_>, id: &str) -> Resp {
    let (body, _) = match parse_body::<UpdateBody>(ctx.body, &ctx.body_rules()) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut store = ctx.store();
    if store.folder(id).is_none() {
        return not_found("folder", id);
    }
    store.rename(id, body.name);
    match store.folder(id) {
        Some(f) => ok(&store.folder_model(f)),
        None => not_found("folder", id),
    }
}

/// `DELETE /agent-testing/folders/{id}`: `204`; a folder with children needs `force=true`
/// (which deletes everything inside it), else `409 folder_not_empty`.
pub(crate) fn delete(ctx: &Ctx<'_>, id: &str) -> Resp {
    let force = match parse_bool_param("force", param(ctx.query, "force")) {
        Ok(f) => f.unwrap_or(false),
        Err(e) => return unprocessable(vec![e]),
    };
    let mut store = ctx.store();
    if store.folder(id).is_none() {
        return not_found("folder", id);
    }
    let children = store.children_count(id);
    if children > 0 && !force {
        return api_error(
            StatusCode::CONFLICT,
            "folder_not_empty",
            format!(
                "The folder {id:?} has {children} item(s); pass force=true to delete it with \
                 everything inside it."
            ),
        );
    }
    store.remove(id);
    empty(StatusCode::NO_CONTENT)
}
