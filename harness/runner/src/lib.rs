//! Plan to result rows: batching, threads, progress, resume.
