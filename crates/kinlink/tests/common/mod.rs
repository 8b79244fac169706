//! What every test of the real `kinlink` binary needs.

use std::path::Path;

use assert_cmd::Command;

pub const BIN: &str = env!("CARGO_BIN_EXE_kinlink");

/// `kinlink` run in `dir`, with no configuration leaking in from the
/// environment of whoever runs the tests.
pub fn kinlink(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir);
    for var in [
        "KINLINK_DATA_DIR",
        "KINLINK_LISTEN",
        "KINLINK_DATABASE_URL",
        "KINLINK_CONFIG",
        "RUST_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("USER", "tester");
    cmd
}
