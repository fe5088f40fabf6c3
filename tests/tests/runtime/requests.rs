//! A `tower` layer on a test client that records every request it sends: what a controller
//! asks the API server for, counted.

use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use http::{Method, Request};
use kube::Client;
use kube::client::ClientBuilder;

/// One request a client sent.
#[derive(Debug, Clone)]
pub struct Sent {
    pub method: Method,
    pub path: String,
    /// Whether it opened a watch (`?watch=true`).
    pub watch: bool,
    /// Whether it asked for metadata only (`Accept: ...;as=PartialObjectMetadata...`).
    pub metadata_only: bool,
}

impl Sent {
    /// Whether this is a read that a cache would answer: a GET that is not a watch.
    pub fn is_read(&self) -> bool {
        self.method == Method::GET && !self.watch
    }
}

/// The requests of the clients built with [`RequestLog::client`].
#[derive(Debug, Clone, Default)]
pub struct RequestLog(Arc<Mutex<Vec<Sent>>>);

impl RequestLog {
    /// A client for `config` whose requests are recorded here.
    pub fn client(&self, config: kube::Config) -> Client {
        ClientBuilder::try_from(config)
            .expect("client stack")
            .with_layer(self)
            .build()
    }

    /// Everything recorded so far.
    pub fn sent(&self) -> Vec<Sent> {
        self.0.lock().expect("lock").clone()
    }

    /// How many requests have been recorded.
    pub fn len(&self) -> usize {
        self.0.lock().expect("lock").len()
    }
}

impl<S> tower::Layer<S> for RequestLog {
    type Service = Recording<S>;

    fn layer(&self, inner: S) -> Recording<S> {
        Recording {
            inner,
            log: self.clone(),
        }
    }
}

/// The service [`RequestLog`] wraps around a client's stack.
#[derive(Debug, Clone)]
pub struct Recording<S> {
    inner: S,
    log: RequestLog,
}

impl<S, B> tower::Service<Request<B>> for Recording<S>
where
    S: tower::Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let watch = request
            .uri()
            .query()
            .is_some_and(|query| query.split('&').any(|pair| pair == "watch=true"));
        let metadata_only = request
            .headers()
            .get(http::header::ACCEPT)
            .and_then(|accept| accept.to_str().ok())
            .is_some_and(|accept| accept.contains("as=PartialObjectMetadata"));
        self.log.0.lock().expect("lock").push(Sent {
            method: request.method().clone(),
            path: request.uri().path().to_string(),
            watch,
            metadata_only,
        });
        self.inner.call(request)
    }
}
