//! The command line: what `kinlink --help` shows.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use kinlink_core::RecordId;
use kinlink_policy::Purpose;

/// kinlink: registration, case management, family tracing and reunification
/// for children on the move.
#[derive(Debug, Parser)]
#[command(name = "kinlink", version)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts (before or after the command name).
/// Configuration: built-in defaults < config file < KINLINK_* environment < these flags.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Directory of the embedded database [default: ./kinlink-data]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Database URL: postgres://USER@HOST[:PORT]/DATABASE or sqlite://PATH [default: the data directory's SQLite file]
    ///
    /// A password given in this flag is visible to other local users in the process list:
    /// put the URL in KINLINK_DATABASE_URL or the configuration file, or the password in
    /// PGPASSWORD or ~/.pgpass.
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,

    /// Connections each process's database pool opens at most [default: 10 on PostgreSQL, 8 on SQLite]
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub db_max_connections: Option<u32>,

    /// PostgreSQL: longest one statement may run (500ms, 30s, 2m; off: the server's setting) [default: 30s]
    #[arg(long, global = true, value_name = "DURATION")]
    pub db_statement_timeout: Option<String>,

    /// PostgreSQL: longest to wait for a connection before a request fails with 503 [default: 10s]
    #[arg(long, global = true, value_name = "DURATION")]
    pub db_acquire_timeout: Option<String>,

    /// SQLite: longest a write waits for another writer before failing [default: 30s]
    #[arg(long, global = true, value_name = "DURATION")]
    pub sqlite_busy_timeout: Option<String>,

    /// Configuration file (TOML) [default: kinlink.toml in the current directory, if it exists]
    #[arg(long, global = true, value_name = "FILE", env = "KINLINK_CONFIG")]
    pub config: Option<PathBuf>,

    /// Why you access the records, recorded in the audit log: case_management, tracing,
    /// best_interests_procedure, service_referral, statistics, audit, data_protection_review
    /// [default: case_management; audit for `kinlink audit`; statistics for `kinlink stats`]
    #[arg(long, global = true, value_name = "PURPOSE", value_parser = parse_purpose)]
    pub purpose: Option<Purpose>,
}

fn parse_purpose(name: &str) -> Result<Purpose, String> {
    Purpose::ALL
        .into_iter()
        .find(|p| p.as_str() == name)
        .ok_or_else(|| {
            let names: Vec<&str> = Purpose::ALL.iter().map(|p| p.as_str()).collect();
            format!("unknown purpose; expected one of {}", names.join(", "))
        })
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the data directory, the deployment's keys, the first agency and its administrator
    Init(InitArgs),
    /// Run the HTTP API until Ctrl-C or SIGTERM (needs `kinlink init` first, unless --demo)
    Serve(ServeArgs),
    /// User accounts: add, list, disable, enable, reset-password, roles
    #[command(subcommand)]
    User(UserCommand),
    /// Agencies: add, list
    #[command(subcommand)]
    Agency(AgencyCommand),
    /// API tokens for machine clients: create (shown once), list, revoke
    #[command(subcommand)]
    Token(TokenCommand),
    /// Child cases: create, get, update, list, history
    #[command(subcommand)]
    Case(RecordCommand),
    /// Tracing requests: create, get, update, list, history
    #[command(subcommand)]
    Request(RecordCommand),
    /// Import a CSV file in the interchange format (every row is validated first)
    Import(ImportArgs),
    /// Export every record in the interchange CSV format or as JSON Lines
    Export(ExportArgs),
    /// Write a synthetic demo dataset (cases.csv, requests.csv, truth.csv, meta.csv)
    DemoData(DemoArgs),
    /// Find the registered child each tracing request seeks, or duplicate records
    #[command(subcommand)]
    Match(MatchCommand),
    /// The audit log: verify it, sign a checkpoint, show who accessed a record
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Copy a whole deployment to another database (SQLite ⇄ PostgreSQL) and verify the copy
    ///
    /// Every table is copied: records with their full revision history, ids, numbers and
    /// number sequences, the match proposals with their reviews, the accounts (agencies,
    /// teams, users, sessions, API tokens; secrets as stored, hashed or sealed) and the audit
    /// log, from one consistent snapshot of the source, in one transaction, then checked (row
    /// counts, each record's versions, a SHA-256 digest of every row, the audit chain and
    /// checkpoints) before it commits.
    /// Stop the servers first: writes made after the snapshot are not copied.
    CopyDb(CopyDbArgs),
    /// The master key: rotate it (every data key re-wrapped in one transaction)
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Retention: erase the records the retention rules of the configuration say are due
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Erase one record (a data protection officer's decision): its data key is destroyed
    #[command(subcommand)]
    Record(RecordAdminCommand),
    /// Print the effective configuration as TOML
    Config,
    /// Bring the database schema up to date and print which backend it is
    ///
    /// Every command does this when it opens the database; `migrate` does only that,
    /// for example before starting several servers on one PostgreSQL database.
    Migrate,
    /// Anonymised statistics: the standard indicators and the reports, released with
    /// disclosure control (small cells suppressed, and the cells that would reveal them)
    #[command(subcommand)]
    Stats(StatsCommand),
}

/// `kinlink stats ...`: what `GET /api/v1/statistics/...` answers, from the database.
#[derive(Debug, Subcommand)]
pub enum StatsCommand {
    /// List the standard indicators and the dimensions each can be broken down by
    Indicators {
        #[arg(long, value_enum, default_value_t = StatsFormat::Table)]
        format: StatsFormat,
    },
    /// One indicator, broken down by some dimensions, with totals
    Indicator {
        /// The indicator's name (see `kinlink stats indicators`)
        name: String,
        /// Comma-separated dimensions: nationality, sex, age_band, accompaniment, disability,
        /// region, period, and per indicator service, solution, centre, match_outcome,
        /// caseload_band [default: the total only]
        #[arg(long, value_name = "DIM,...", default_value = "")]
        by: String,
        /// Children identified in this window: 2025, 2025-Q2, 2025-03 or
        /// 2025-01-01..2025-07-01 (end excluded) [default: all]
        #[arg(long, value_name = "PERIOD")]
        period: Option<String>,
        /// How finely the period dimension cuts time
        #[arg(long, value_enum, default_value_t = StatsGranularity::Year)]
        granularity: StatsGranularity,
        #[arg(long, value_enum, default_value_t = StatsFormat::Table)]
        format: StatsFormat,
    },
    /// The annual report on children in immigration detention
    Detention {
        /// The calendar year
        #[arg(long, value_name = "YYYY")]
        year: i32,
        #[arg(long, value_enum, default_value_t = StatsFormat::Table)]
        format: StatsFormat,
    },
    /// The periodic treaty-reporting table
    Treaty {
        /// Children identified in this window (as for `indicator`) [default: all]
        #[arg(long, value_name = "PERIOD")]
        period: Option<String>,
        #[arg(long, value_enum, default_value_t = StatsFormat::Table)]
        format: StatsFormat,
    },
    /// Compute every standard indicator (totals) and say how long it took (a benchmark)
    Bench,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatsFormat {
    /// Aligned columns for reading
    Table,
    Csv,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatsGranularity {
    Month,
    Quarter,
    Year,
}

impl Command {
    /// Whether this command runs the server (which logs at `info` by default).
    pub fn is_serve(&self) -> bool {
        matches!(self, Command::Serve(_))
    }
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a new master key, re-wrap every data key with it in one transaction, retire the old one
    ///
    /// The old key file is moved to DATA_DIR/keys/retired/: keep it as long as backups made
    /// before the rotation are kept (they need it), then delete it.
    Rotate,
}

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Erase every record a retention rule makes due (with --dry-run: only count them)
    Run {
        /// Print what would be erased, by rule, and erase nothing
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RecordAdminCommand {
    /// Erase a record: destroy its data key so that it and its history can never be read again
    Erase {
        /// The record's id (UUID) or number (KL-2026-000123, TR-2026-000045)
        id: String,
        /// Why, as a code (lower-case letters, digits, _), e.g. dpo_request, unlawfully_recorded;
        /// never free text: it is kept in the database
        #[arg(long, value_name = "CODE")]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every entry, link and signed checkpoint; then sign a checkpoint at the newest entry
    ///
    /// Exits with status 1 and names the first entry found edited, deleted, inserted or
    /// reordered, or the checkpoint that does not match.
    Verify(SigningKeyArgs),
    /// Sign a checkpoint at the newest entry (after checking the log since the last one)
    Checkpoint {
        #[command(flatten)]
        key: SigningKeyArgs,
        /// Only if at least N entries were added since the last checkpoint
        #[arg(long, value_name = "N")]
        every: Option<u64>,
    },
    /// Who accessed a record, when, for which purpose, with which outcome (never its
    /// content); or, with --user, every change made to an account (roles, tokens, ...)
    Show {
        /// The record's id (UUID) or number (KL-2026-000123, TR-2026-000045)
        #[arg(
            long,
            value_name = "ID|NUMBER",
            required_unless_present = "user",
            conflicts_with = "user"
        )]
        record: Option<String>,
        /// An account's user name: its creation, role and account changes, tokens issued and revoked
        #[arg(long, value_name = "USERNAME")]
        user: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct SigningKeyArgs {
    /// The deployment's Ed25519 signing key file [default: DATA_DIR/keys/signing-ed25519.key]
    #[arg(long, value_name = "PATH", env = "KINLINK_SIGNING_KEY")]
    pub signing_key: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on [default: 127.0.0.1:8080]; port 0 picks a free port
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<String>,

    /// A throwaway demo: creates the keys if there are none, demo users (passwords printed
    /// once, no second factor) and a small synthetic dataset if the database has no cases yet
    #[arg(long)]
    pub demo: bool,

    /// Serve HTTPS with this PEM certificate chain (with --tls-key) [config: tls_cert]
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,

    /// The PEM private key of --tls-cert [config: tls_key]
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,

    /// How often to sign an audit checkpoint, e.g. 10m, 1h [config: audit_checkpoint_interval;
    /// default 10m]; one is also signed at shutdown
    #[arg(long, value_name = "DURATION")]
    pub audit_checkpoint_interval: Option<String>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The first agency's name
    #[arg(long, value_name = "NAME", default_value = "Child Protection Authority")]
    pub agency: String,
    /// Its type: child_protection_authority, ngo, un_agency, guardianship_service, judiciary,
    /// health, education, police, immigration_authority, other
    #[arg(long, value_name = "TYPE", default_value = "child_protection_authority")]
    pub agency_type: String,
    /// The administrator's user name
    #[arg(long, value_name = "USERNAME", default_value = "admin")]
    pub admin: String,
    /// Read the administrator's password from standard input instead of generating one
    #[arg(long)]
    pub password_stdin: bool,
}

/// `kinlink user ...`. New and reset passwords are generated and shown once, or read from stdin.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user to an agency
    Add {
        #[arg(long, value_name = "USERNAME")]
        username: String,
        /// The agency's name
        #[arg(long, value_name = "NAME")]
        agency: String,
        /// A team of the agency (created if new); repeat for several
        #[arg(long = "team", value_name = "TEAM")]
        teams: Vec<String>,
        /// caseworker, supervisor, guardian, tracing_officer, bid_panel_member, liaison_officer,
        /// data_protection_officer, statistician, administrator; repeat for several
        #[arg(long = "role", value_name = "ROLE", required = true)]
        roles: Vec<String>,
        /// Read the password from standard input instead of generating one
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users
    List,
    /// Disable a user (their sessions end at once)
    Disable { username: String },
    /// Enable a disabled user
    Enable { username: String },
    /// Set a new password (ends the user's sessions)
    ResetPassword {
        username: String,
        #[arg(long)]
        password_stdin: bool,
        /// Also remove the second factor, so that the user enrols a new one
        #[arg(long)]
        reset_totp: bool,
    },
    /// Replace a user's roles (ends their sessions)
    Roles {
        username: String,
        #[arg(long = "role", value_name = "ROLE", required = true)]
        roles: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AgencyCommand {
    /// Add an agency
    Add {
        name: String,
        /// child_protection_authority, ngo, un_agency, guardianship_service, judiciary, health,
        /// education, police, immigration_authority, other
        #[arg(long = "type", value_name = "TYPE")]
        agency_type: String,
        /// The agency takes part in immigration enforcement: it receives anonymised statistics only
        #[arg(long)]
        immigration_enforcement: bool,
    },
    /// List agencies
    List,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token for a user, limited to some resource:action scopes (shown once)
    Create {
        #[arg(long, value_name = "USERNAME")]
        user: String,
        /// resource:action, e.g. child_case:read; repeat for several. The user's roles still apply.
        #[arg(long = "scope", value_name = "RESOURCE:ACTION")]
        scopes: Vec<String>,
        /// What the token is for
        #[arg(long, value_name = "NAME", default_value = "api")]
        name: String,
        /// Expire after this many days [default: never]
        #[arg(long, value_name = "DAYS")]
        expires_in_days: Option<u32>,
    },
    /// List tokens (prefixes only: the secret is never stored)
    List {
        #[arg(long, value_name = "USERNAME")]
        user: Option<String>,
    },
    /// Revoke a token by its prefix
    Revoke { prefix: String },
}

#[derive(Debug, Args)]
pub struct CopyDbArgs {
    /// The database to copy: sqlite://PATH or postgres://USER@HOST[:PORT]/DATABASE
    #[arg(long, value_name = "URL", env = "KINLINK_COPY_FROM", hide_env_values = true)]
    pub from: String,
    /// The database to copy into, created or migrated if needed; it must be empty
    #[arg(long, value_name = "URL", env = "KINLINK_COPY_TO", hide_env_values = true)]
    pub to: String,
    /// Delete everything the target holds first (in the same transaction) instead of refusing;
    /// refused if the target holds an audit log (append-only: it is never deleted)
    #[arg(long)]
    pub replace: bool,
    /// The deployment's Ed25519 signing key file, to check the audit checkpoints' signatures
    /// too [default: DATA_DIR/keys/signing-ed25519.key if it exists; otherwise every entry, link and
    /// checkpoint is checked but not who signed the checkpoints]
    #[arg(long, value_name = "PATH", env = "KINLINK_SIGNING_KEY")]
    pub signing_key: Option<PathBuf>,
}

/// The same subcommands for child cases and tracing requests.
#[derive(Debug, Subcommand)]
pub enum RecordCommand {
    /// Create a record from a JSON file
    Create {
        /// JSON file with the record, `-` for standard input
        #[arg(long, value_name = "FILE|-")]
        file: PathBuf,
    },
    /// Show a record
    Get {
        /// The record's id (UUID) or number (KL-2026-000123, TR-2026-000045)
        #[arg(value_name = "ID|NUMBER")]
        key: String,
    },
    /// Replace a record, if it is still at the version you edited
    Update {
        /// The record's id (UUID) or number
        #[arg(value_name = "ID|NUMBER")]
        key: String,
        /// The version the new content is based on; a newer stored version is a conflict
        #[arg(long, value_name = "N")]
        version: i64,
        /// JSON file with the whole new record, `-` for standard input
        #[arg(long, value_name = "FILE|-")]
        file: PathBuf,
    },
    /// List records in creation order
    List {
        /// Start after this record id (the last id of the previous page)
        #[arg(long, value_name = "UUID")]
        after: Option<RecordId>,
        /// Records per page
        #[arg(long, value_name = "N", default_value_t = 50,
              value_parser = clap::value_parser!(u32).range(1..=10_000))]
        limit: u32,
    },
    /// Show every version of a record, oldest first
    History {
        /// The record's id (UUID) or number
        #[arg(value_name = "ID|NUMBER")]
        key: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Which {
    Cases,
    Requests,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// What the file holds
    pub which: Which,
    /// The CSV file, `-` for standard input
    #[arg(value_name = "FILE.csv")]
    pub file: PathBuf,
    /// Import the valid rows and skip the invalid ones (by default one invalid row stops the whole import)
    #[arg(long)]
    pub skip_invalid: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    /// The interchange CSV format (lossy: the JSON API carries the full record)
    #[default]
    Csv,
    /// JSON Lines: one stored record (metadata and full record) per line
    Jsonl,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// What to export
    pub which: Which,
    /// Write to this file instead of standard output
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Number of registered child cases
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub children: u64,
    /// Directory to write the files into (created if needed)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Number of tracing requests [default: 4/5 of the children]
    #[arg(long, value_name = "M")]
    pub requests: Option<usize>,
    /// Same seed, same dataset
    #[arg(long, value_name = "S", default_value_t = kinlink_demo::DemoConfig::DEFAULT_SEED)]
    pub seed: u64,
}

/// `kinlink match ...`: probabilistic matching over interchange CSV files.
#[derive(Debug, Subcommand)]
pub enum MatchCommand {
    /// Link tracing requests to child cases: request_id,case_id,score,label
    Link(MatchLinkArgs),
    /// Find probable duplicates among records: id_a,id_b,score,label
    Dedupe(MatchDedupeArgs),
}

#[derive(Debug, Args)]
pub struct MatchLinkArgs {
    /// Child cases (interchange CSV)
    #[arg(long, value_name = "CASES.csv")]
    pub cases: PathBuf,
    /// Tracing requests (interchange CSV)
    #[arg(long, value_name = "REQUESTS.csv")]
    pub requests: PathBuf,
    /// Output CSV of ranked pairs labelled match or possible
    #[arg(long, value_name = "PAIRS.csv")]
    pub out: PathBuf,
    /// At most this many cases per request
    #[arg(long, value_name = "K", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub top: u32,
}

#[derive(Debug, Args)]
pub struct MatchDedupeArgs {
    /// Records (interchange CSV)
    #[arg(long, value_name = "RECORDS.csv")]
    pub records: PathBuf,
    /// Output CSV of pairs labelled match or possible
    #[arg(long, value_name = "PAIRS.csv")]
    pub out: PathBuf,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
