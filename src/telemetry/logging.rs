//! Log set-up: human-readable text in development, one JSON object per line in
//! production, filtered by `LOG_LEVEL` / `RUST_LOG`.

use tracing_subscriber::{
    EnvFilter, Layer, Registry, fmt::MakeWriter, layer::SubscriberExt as _,
    util::SubscriberInitExt as _,
};

use crate::config::{LogFormat, Telemetry};

/// A subscriber writing `format` to `writer`, filtered by `filter`. `main` installs it
/// globally; tests install it for one thread to read what a request logged.
pub fn subscriber<W>(
    format: LogFormat,
    filter: &str,
    writer: W,
) -> anyhow::Result<impl tracing::Subscriber + Send + Sync + 'static>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(filter)
        .map_err(|err| anyhow::anyhow!("LOG_LEVEL is not a valid log filter: {err}"))?;
    let layer = match format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(writer)
            .boxed(),
        LogFormat::Text | LogFormat::Auto => tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .with_ansi(false)
            .boxed(),
    };
    Ok(Registry::default().with(layer).with(filter))
}

/// Installs the process's logger on standard error, as `config` asks.
pub fn init(config: &Telemetry, production: bool) -> anyhow::Result<()> {
    let format = config.effective_log_format(production);
    subscriber(format, &config.effective_log_filter(), std::io::stderr)?
        .try_init()
        .map_err(|err| anyhow::anyhow!("installing the logger failed: {err}"))
}
