//! Helpers shared by the built-in stage plugins: reading JUnit reports and judging a
//! test command by them ([`junit`], [`verdict`]), workspace paths and stage inputs
//! ([`paths`]). Pure logic, unit-tested natively; the only I/O is reading reports
//! from the workspace through WASI.

pub mod junit;
pub mod paths;
pub mod verdict;
