//! `wasi:http/outgoing-handler` for plugins: a request goes out only to a host the
//! stage is granted (`http = ["host"]`) and the plugin declared. Any other request
//! fails with `HTTP-request-denied`, and the denial fails the stage with a message
//! that names the grant to add.

use std::future::Future;
use std::sync::{Arc, Mutex};

use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use crate::capabilities::{Capability, CapabilityDenied, CapabilityPolicy};
use crate::stage_log::{LogSource, StageLog};

/// The hooks that check each outgoing request against the stage's grants.
pub(crate) struct HttpGuard {
    policy: CapabilityPolicy,
    log: StageLog,
    denied: Arc<Mutex<Option<CapabilityDenied>>>,
}

impl HttpGuard {
    /// A guard for a stage with `policy`.
    pub(crate) fn new(policy: CapabilityPolicy, log: StageLog) -> Self {
        HttpGuard {
            policy,
            log,
            denied: Arc::default(),
        }
    }

    /// The first request that was denied, if any.
    pub(crate) fn denial(&self) -> Option<CapabilityDenied> {
        self.denied.lock().ok().and_then(|d| d.clone())
    }

    fn check(&self, authority: &str, request: &str) -> Result<(), CapabilityDenied> {
        let call = format!("wasi:http/outgoing-handler.handle ({request})");
        self.policy
            .check(&Capability::Http(authority.to_string()), &call)
            .inspect_err(|denied| {
                self.log
                    .write(LogSource::Runtime, &format!("denied: {denied}"));
                if let Ok(mut slot) = self.denied.lock()
                    && slot.is_none()
                {
                    *slot = Some(denied.clone());
                }
            })
    }
}

type ResponseFuture = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), Error>> + Send>,
                ),
                Error,
            >,
        > + Send,
>;

impl WasiHttpHooks for HttpGuard {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> ResponseFuture {
        drop(fut);
        let authority = request
            .uri()
            .authority()
            .map(|a| a.as_str().to_string())
            .unwrap_or_default();
        let shown = format!(
            "{}://{}{}",
            request.uri().scheme_str().unwrap_or("https"),
            authority,
            request.uri().path()
        );
        if self
            .check(&authority, &format!("{} {shown}", request.method()))
            .is_err()
        {
            return Box::new(async { Err(Error::HttpRequestDenied) });
        }
        self.log.write(
            LogSource::Runtime,
            &format!("http: {} {shown}", request.method()),
        );
        Box::new(async move {
            use http_body_util::BodyExt;
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = Result<(), Error>> + Send>,
            ))
        })
    }
}
