//! Moving data in and out as NDJSON: `import` and `export` (format in `docs/IMPORT.md`).

pub mod export;
pub mod format;
pub mod import;

pub use export::{ExportError, export};
pub use import::{ImportError, ImportSummary, import};
