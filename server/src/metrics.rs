//! `GET /metrics`: the server's counters in Prometheus' text exposition
//! format (version 0.0.4).
//!
//! Hand-written rather than the `prometheus` or `metrics` crates: five
//! families, one lock per request's bookkeeping, and an output this module
//! fully owns; those crates bring registries, global recorders and their
//! own dependency trees for nothing this needs.
//!
//! - `ledger_http_requests_total{route,method,status}`: answers given;
//! - `ledger_http_request_duration_seconds{route}`: a histogram of the time
//!   until each answer's head;
//! - `ledger_events_appended_total`, `ledger_append_conflicts_total`: from
//!   the service's command loop;
//! - `ledger_errors_total{code}`: error answers by their `code`.
//!
//! `route` is the route's template (`/accounts/{id}`), never the path asked
//! for, and `fallback` for any path no route matched; a method not in
//! HTTP's registry is `OTHER`: every label has few values.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The upper bounds of the latency histogram's buckets, in seconds.
pub const BUCKETS: [f64; 14] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The `code` of an error answer, left in the response's extensions by
/// [`crate::error::ApiError`] for [`track`] to count.
#[derive(Clone, Copy, Debug)]
pub struct ErrorCode(pub &'static str);

#[derive(Debug, Default)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        if let Some(at) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            if let Some(bucket) = self.buckets.get_mut(at) {
                *bucket += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }
}

#[derive(Debug, Default)]
struct Route {
    answers: BTreeMap<(&'static str, u16), u64>,
    latency: Histogram,
}

#[derive(Debug, Default)]
struct Http {
    routes: HashMap<String, Route>,
    errors: BTreeMap<&'static str, u64>,
}

/// The counters, shared by the service and the HTTP edge.
#[derive(Debug, Default)]
pub struct Metrics {
    http: Mutex<Http>,
    appended: AtomicU64,
    conflicts: AtomicU64,
}

impl Metrics {
    pub fn new() -> Metrics {
        Metrics::default()
    }

    fn http(&self) -> MutexGuard<'_, Http> {
        // Counters stay usable whatever panicked while they were held.
        self.http.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `events` events were appended.
    pub fn appended(&self, events: usize) {
        self.appended.fetch_add(u64::try_from(events).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// An append found its stream moved on.
    pub fn conflict(&self) {
        self.conflicts.fetch_add(1, Ordering::Relaxed);
    }

    /// One answer: its route's template, method, status, how long it took,
    /// and its error code if it is an error.
    pub fn observe(&self, route: &str, method: &Method, status: u16, took: Duration, code: Option<&'static str>) {
        let mut http = self.http();
        if !http.routes.contains_key(route) {
            http.routes.insert(route.to_owned(), Route::default());
        }
        if let Some(entry) = http.routes.get_mut(route) {
            *entry.answers.entry((method_label(method), status)).or_default() += 1;
            entry.latency.observe(took.as_secs_f64());
        }
        if let Some(code) = code {
            *http.errors.entry(code).or_default() += 1;
        }
    }

    /// Everything, in the text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let http = self.http();
        let mut routes: Vec<(&String, &Route)> = http.routes.iter().collect();
        routes.sort_by(|a, b| a.0.cmp(b.0));
        header(
            &mut out,
            "ledger_http_requests_total",
            "counter",
            "HTTP requests answered, by route template, method and status.",
        );
        for (route, entry) in &routes {
            for ((method, status), count) in &entry.answers {
                let _ = writeln!(
                    out,
                    "ledger_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {count}",
                    escape(route)
                );
            }
        }
        header(
            &mut out,
            "ledger_http_request_duration_seconds",
            "histogram",
            "Time from a request's arrival to its answer's head, by route template.",
        );
        for (route, entry) in &routes {
            let route = escape(route);
            let mut cumulative = 0;
            for (bound, count) in BUCKETS.iter().zip(entry.latency.buckets) {
                cumulative += count;
                let _ =
                    writeln!(out, "ledger_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}");
            }
            let histogram = &entry.latency;
            let _ =
                writeln!(out, "ledger_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}", histogram.count);
            let _ = writeln!(out, "ledger_http_request_duration_seconds_sum{{route=\"{route}\"}} {}", histogram.sum);
            let _ = writeln!(out, "ledger_http_request_duration_seconds_count{{route=\"{route}\"}} {}", histogram.count);
        }
        header(&mut out, "ledger_events_appended_total", "counter", "Events appended to the store.");
        let _ = writeln!(out, "ledger_events_appended_total {}", self.appended.load(Ordering::Relaxed));
        header(
            &mut out,
            "ledger_append_conflicts_total",
            "counter",
            "Appends refused because the stream had moved on (then decided again).",
        );
        let _ = writeln!(out, "ledger_append_conflicts_total {}", self.conflicts.load(Ordering::Relaxed));
        header(&mut out, "ledger_errors_total", "counter", "Error answers, by their code.");
        for (code, count) in &http.errors {
            let _ = writeln!(out, "ledger_errors_total{{code=\"{}\"}} {count}", escape(code));
        }
        out
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// A label value as the format quotes it.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn method_label(method: &Method) -> &'static str {
    const KNOWN: [(Method, &str); 9] = [
        (Method::GET, "GET"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::DELETE, "DELETE"),
        (Method::HEAD, "HEAD"),
        (Method::OPTIONS, "OPTIONS"),
        (Method::PATCH, "PATCH"),
        (Method::CONNECT, "CONNECT"),
        (Method::TRACE, "TRACE"),
    ];
    KNOWN.iter().find(|(known, _)| known == method).map_or("OTHER", |(_, label)| label)
}

/// The middleware: counts every answer under its route's template.
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let method = request.method().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    let code = response.extensions().get::<ErrorCode>().map(|code| code.0);
    let route = route.as_ref().map_or("fallback", MatchedPath::as_str);
    metrics.observe(route, &method, response.status().as_u16(), started.elapsed(), code);
    response
}

/// `GET /metrics`.
pub async fn serve(State(metrics): State<Arc<Metrics>>) -> Response {
    let kind = HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8");
    ([(CONTENT_TYPE, kind)], metrics.render()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_a_cumulative_histogram() {
        let metrics = Metrics::new();
        metrics.observe("/accounts/{id}", &Method::POST, 200, Duration::from_millis(3), None);
        metrics.observe("/accounts/{id}", &Method::POST, 400, Duration::from_millis(30), Some("InsufficientFunds"));
        metrics.observe("fallback", &"BREW".parse().unwrap(), 404, Duration::from_secs(20), Some("NotFound"));
        metrics.appended(2);
        metrics.conflict();
        let text = metrics.render();
        for line in [
            r#"ledger_http_requests_total{route="/accounts/{id}",method="POST",status="200"} 1"#,
            r#"ledger_http_requests_total{route="fallback",method="OTHER",status="404"} 1"#,
            r#"ledger_http_request_duration_seconds_bucket{route="/accounts/{id}",le="0.0025"} 0"#,
            r#"ledger_http_request_duration_seconds_bucket{route="/accounts/{id}",le="0.005"} 1"#,
            r#"ledger_http_request_duration_seconds_bucket{route="/accounts/{id}",le="0.05"} 2"#,
            r#"ledger_http_request_duration_seconds_bucket{route="fallback",le="10"} 0"#,
            r#"ledger_http_request_duration_seconds_bucket{route="fallback",le="+Inf"} 1"#,
            r#"ledger_http_request_duration_seconds_count{route="/accounts/{id}"} 2"#,
            "ledger_events_appended_total 2",
            "ledger_append_conflicts_total 1",
            r#"ledger_errors_total{code="InsufficientFunds"} 1"#,
            "# TYPE ledger_http_request_duration_seconds histogram",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing from\n{text}");
        }
        assert_eq!(escape("a\"b\\c\n"), "a\\\"b\\\\c\\n");
    }
}
