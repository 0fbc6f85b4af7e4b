//! RFM logic free of Arrow and DataFusion: which columns play which role, and how (R, F) scores
//! map to segment names. The SQL function lives in [`crate::functions::rfm`].

pub mod columns;
pub mod distinct;
pub mod segments;
pub mod time_formats;
