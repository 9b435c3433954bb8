//! An embedded fake Tests API server (feature `fake`).
