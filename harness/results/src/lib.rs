//! Parquet result store and polars aggregation.
