//! Exact load splitting: a total over N generators.
pub struct LoadSplit;
