//! Self-contained HTML reports: minijinja templates and inline SVG charts.
