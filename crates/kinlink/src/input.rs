//! Reading a record from a JSON file; parsing (with errors that name the
//! field but never repeat its value) is the core's.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};

/// The content of `path`, or of standard input for `-`.
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
        Ok(bytes)
    } else {
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
    }
}

pub use kinlink_core::json::parse_json;
