//! What tests that start the `steward` binary themselves share: a free port to bind and the
//! fixed secret every instance signs session cookies with (so a session outlives a restart
//! and is valid on every instance of one database).

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn secret() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode([42u8; 64])
}

/// Runs `steward <args>` (a console command such as `reset-2fa`) on the database at
/// `database_url`, with the shared secret; answers what it printed and how it ended.
pub fn steward_command(database_url: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_steward"))
        .args(args)
        .env("STEWARD_DATABASE_URL", database_url)
        .env("STEWARD_SECRET_KEY", secret())
        .env("RUST_LOG", "warn")
        .output()
        .expect("run steward")
}
