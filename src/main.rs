//! The `steward` binary: everything lives in the library; this only hands over to the CLI.

fn main() -> anyhow::Result<()> {
    steward::cli::run()
}
