//! Request hooks.
use crate::{Client, config::ClientState};
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};

impl ClientHooks<ClientState> for Client {
    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        self.client().execute(request).await
    }
}
