//! The extension of the schemas that only validate: it records a document's complexity
//! and stops the request before anything runs.

use std::sync::Arc;

use async_graphql::{
    Response, ServerError, ValidationResult, Value,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute, NextValidation},
};

/// Where [`Measure`] leaves the complexity of the document it validated.
#[derive(Clone, Default)]
pub(super) struct Measured(pub(super) Arc<std::sync::OnceLock<usize>>);

/// Records the complexity validation computed (when the request carries a [`Measured`]),
/// then stops the request: validating is the only job of the schemas it is on.
pub(super) struct Measure;

impl ExtensionFactory for Measure {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Measure)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for Measure {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        if let Some(measured) = ctx.data_opt::<Measured>() {
            let _ = measured.0.set(result.complexity);
        }
        Ok(result)
    }

    async fn execute(
        &self,
        _ctx: &ExtensionContext<'_>,
        _operation_name: Option<&str>,
        _next: NextExecute<'_>,
    ) -> Response {
        Response::new(Value::Null)
    }
}
