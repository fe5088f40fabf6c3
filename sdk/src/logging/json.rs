//! JSON lines: one object per event with `time`, `level`, `target`, `message`, the event's and
//! its spans' fields under `fields`, and the span names under `spans`, for log pipelines.

use std::fmt;
use std::time::SystemTime;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

use super::time::{EncodedTime, TimeEncoding};

/// Formats each event as one JSON object on one line.
///
/// ```text
/// {"time":"2025-08-20T15:01:15Z","level":"info","target":"kubesmith::manager","message":"caches synced","fields":{"kinds":2}}
/// ```
///
/// Span fields are recorded with [`JsonFields`] (the layer's field formatter); an event's own
/// field wins over a span's of the same name, an inner span's over an outer one's.
#[derive(Debug, Clone, Copy)]
pub(crate) struct JsonLines {
    /// How `time` is written.
    pub(crate) time: TimeEncoding,
}

/// One line, in the order its keys are written.
#[derive(serde::Serialize)]
struct Line<'a> {
    time: EncodedTime,
    level: &'static str,
    target: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Map::is_empty")]
    fields: Map<String, Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    spans: Vec<&'static str>,
}

impl<S> FormatEvent<S, JsonFields> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, JsonFields>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let metadata = event.metadata();
        let mut fields = Map::new();
        let mut spans = Vec::new();
        for span in ctx
            .event_scope()
            .into_iter()
            .flat_map(|scope| scope.from_root())
        {
            spans.push(span.name());
            let extensions = span.extensions();
            let recorded = extensions
                .get::<FormattedFields<JsonFields>>()
                .and_then(|formatted| serde_json::from_str::<Map<String, Value>>(formatted).ok());
            fields.extend(recorded.unwrap_or_default());
        }
        let mut visitor = EventFields {
            message: String::new(),
            fields,
        };
        event.record(&mut visitor);
        let line = Line {
            time: self.time.encode(SystemTime::now()),
            level: level_name(*metadata.level()),
            target: metadata.target(),
            message: visitor.message,
            fields: visitor.fields,
            spans,
        };
        let text = serde_json::to_string(&line).map_err(|_| fmt::Error)?;
        writeln!(writer, "{text}")
    }
}

/// The level as zap writes it: lower case.
fn level_name(level: Level) -> &'static str {
    match level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// Collects an event's message and fields; numbers and booleans stay JSON numbers and
/// booleans, everything else becomes its text.
struct EventFields {
    message: String,
    fields: Map<String, Value>,
}

impl EventFields {
    fn insert(&mut self, field: &Field, value: Value) {
        if field.name() == "message" {
            self.message = match value {
                Value::String(text) => text,
                other => other.to_string(),
            };
        } else {
            self.fields.insert(field.name().to_owned(), value);
        }
    }
}

impl Visit for EventFields {
    fn record_f64(&mut self, field: &Field, value: f64) {
        let value = serde_json::Number::from_f64(value)
            .map_or_else(|| Value::String(value.to_string()), Value::Number);
        self.insert(field, value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.insert(field, value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.insert(field, value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.insert(field, value.into());
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.insert(field, value.into());
    }

    /// The error and its sources, `outer: inner: …`.
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let mut text = value.to_string();
        let mut source = value.source();
        while let Some(error) = source {
            text.push_str(": ");
            text.push_str(&error.to_string());
            source = error.source();
        }
        self.insert(field, text.into());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.insert(field, format!("{value:?}").into());
    }
}
