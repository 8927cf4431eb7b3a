//! The compiled-in page templates and their rendering: every page extends
//! `document.html` (the `<head>`, the shared stylesheet and the page frame).

use crate::ReportError;

const DOCUMENT_NAME: &str = "document.html";
const DOCUMENT: &str = include_str!("../templates/document.html");
/// The stylesheet every page inlines (`css` in the templates).
pub(crate) const STYLESHEET: &str = include_str!("../templates/report.css");

/// [`STYLESHEET`] as a template value (not escaped).
pub(crate) fn stylesheet() -> minijinja::Value {
    minijinja::Value::from_safe_string(STYLESHEET.to_string())
}

/// Renders template `name` of `templates` (`(name, source)` pairs, with
/// `document.html` added) with `ctx`; undefined values are errors. Every
/// error is a [`ReportError::Template`] naming `name`.
pub(crate) fn render_page(
    name: &str,
    templates: &[(&'static str, &'static str)],
    ctx: minijinja::Value,
) -> Result<String, ReportError> {
    let template_error = |source| ReportError::Template {
        name: name.to_string(),
        source,
    };
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_template(DOCUMENT_NAME, DOCUMENT)
        .map_err(template_error)?;
    for &(n, t) in templates {
        env.add_template(n, t).map_err(template_error)?;
    }
    let template = env.get_template(name).map_err(template_error)?;
    template.render(ctx).map_err(template_error)
}
