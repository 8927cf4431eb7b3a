//! YAML suite specs and their validation into a Plan (errors with file:line:column).
