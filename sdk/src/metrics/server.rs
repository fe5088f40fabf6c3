//! The `/metrics` endpoint: plain HTTP, or HTTPS where every scrape is authenticated with a
//! TokenReview and authorized with a SubjectAccessReview (`get` on the non-resource URL
//! `/metrics`), like controller-runtime's secure metrics filter.
//!
//! A scrape without a valid bearer token gets 401; a valid token whose user may not `get`
//! `/metrics` gets 403. The manager's service account needs the rules of [`rbac_rules`].

use std::sync::Arc;

use hyper::StatusCode;
use hyper::header::AUTHORIZATION;
use k8s_openapi::api::authentication::v1::{TokenReview, TokenReviewSpec};
use k8s_openapi::api::authorization::v1::{
    NonResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec,
};
use kube::api::PostParams;
use kube::{Api, Client};

use super::registry::Metrics;
use crate::rbac::Rule;
use crate::server::http::{Handler, text};

/// The path metrics are served on.
pub const METRICS_PATH: &str = "/metrics";

/// The rules the secure metrics server needs (kubebuilder's `metrics-auth-role`).
pub fn rbac_rules() -> Vec<Rule> {
    vec![
        Rule::new(&["authentication.k8s.io"], &["tokenreviews"], &["create"]),
        Rule::new(
            &["authorization.k8s.io"],
            &["subjectaccessreviews"],
            &["create"],
        ),
    ]
}

/// The `/metrics` handler; with `auth`, scrapes are checked against the API server first.
pub(crate) fn handler(metrics: Metrics, auth: Option<Client>) -> Handler {
    Arc::new(move |request| {
        let metrics = metrics.clone();
        let auth = auth.clone();
        let token = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(|token| token.trim().to_string());
        let path = request.uri().path().to_string();
        Box::pin(async move {
            if path != METRICS_PATH {
                return text(StatusCode::NOT_FOUND, "not found");
            }
            if let Some(client) = auth {
                let Some(token) = token else {
                    return text(
                        StatusCode::UNAUTHORIZED,
                        "Unauthorized: a bearer token is required",
                    );
                };
                match authorize(client, token).await {
                    Ok(Access::Allowed) => {}
                    Ok(Access::Unauthenticated) => {
                        return text(StatusCode::UNAUTHORIZED, "Unauthorized");
                    }
                    Ok(Access::Forbidden(user)) => {
                        return text(
                            StatusCode::FORBIDDEN,
                            format!("Forbidden: user {user:?} may not get {METRICS_PATH}"),
                        );
                    }
                    Err(error) => {
                        tracing::warn!(%error, "metrics authentication or authorization failed");
                        return text(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            "authorization check failed",
                        );
                    }
                }
            }
            let mut response = text(StatusCode::OK, metrics.encode());
            response.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static(
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                ),
            );
            response
        })
    })
}

enum Access {
    Allowed,
    Unauthenticated,
    Forbidden(String),
}

async fn authorize(client: Client, token: String) -> Result<Access, kube::Error> {
    let review = TokenReview {
        spec: TokenReviewSpec {
            token,
            ..Default::default()
        },
        ..Default::default()
    };
    let reviewed = Api::<TokenReview>::all(client.clone())
        .create(&PostParams::default(), &review)
        .await?;
    let status = reviewed.status.unwrap_or_default();
    let user = match (status.authenticated, status.user) {
        (Some(true), Some(user)) => user,
        _ => return Ok(Access::Unauthenticated),
    };
    let name = user.username.clone().unwrap_or_default();
    let access = SubjectAccessReview {
        spec: SubjectAccessReviewSpec {
            user: user.username,
            groups: user.groups,
            uid: user.uid,
            extra: user.extra,
            non_resource_attributes: Some(NonResourceAttributes {
                path: Some(METRICS_PATH.to_string()),
                verb: Some("get".to_string()),
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let decided = Api::<SubjectAccessReview>::all(client)
        .create(&PostParams::default(), &access)
        .await?;
    if decided.status.is_some_and(|s| s.allowed) {
        Ok(Access::Allowed)
    } else {
        Ok(Access::Forbidden(name))
    }
}
