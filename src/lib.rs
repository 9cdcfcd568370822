//! crm-workbench: integrate and cleanse customer data.
//!
//! The core library knows nothing of terminals. Layers, top to bottom:
//! `cli`/`tui` → `service` → `ingest`, `clean` → `store` → `domain`.

#[macro_use]
pub mod i18n;

pub mod clean;
pub mod cli;
pub mod display;
pub mod domain;
pub mod error;
pub mod files;
pub mod history;
pub mod ingest;
pub mod matching;
pub mod os;
pub mod sample;
pub mod service;
pub mod store;
pub mod tui;

pub use error::{Error, Result};
