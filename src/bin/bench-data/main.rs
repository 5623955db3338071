//! `bench-data`: builds the benchmark's installation (bench/run.sh, BENCHMARKS.md) on an
//! EMPTY database and prints its logins and the ids the script needs. Benchmark tooling,
//! not part of the panel: it is a binary of its own so that the `steward` binary (and the
//! Debian package, which ships only that) carries none of it. It reads the database from
//! STEWARD_DATABASE_URL like `steward`, and runs pending migrations first.
//!
//!   bench-data --scale full|tenth
//!
//! Full size: an admin, 20 resellers, 2,000 customers and 20,000 servers, of which one
//! showcase customer holds 10,000, with 500 alias users (one assigned 1,000 servers) and
//! 50 alias roles; `tenth` divides every count by ten.

mod generate;
mod rows;
mod scale;

use clap::Parser;

use scale::Scale;

/// The password of every generated login.
pub const BENCH_PASSWORD: &str = "bench-password";

#[derive(Parser)]
#[command(
    name = "bench-data",
    version,
    about = "Fill an EMPTY Steward database (STEWARD_DATABASE_URL) with the benchmark's fixed \
             data set (see BENCHMARKS.md) and print its logins and ids"
)]
struct Args {
    #[arg(long, value_enum, default_value = "full")]
    scale: Scale,
}

fn main() -> anyhow::Result<()> {
    env_logger::Builder::from_env(
        env_logger::Env::default().default_filter_or("info,actix_server=warn"),
    )
    .init();
    let args = Args::parse();
    // Only the database: the data set needs no secret key, bind address or mail settings.
    let url = steward::config::database_url_from_env();
    let pool = steward::cli::connect_and_migrate(&url)?;
    let mut conn = pool.get()?;
    let started = std::time::Instant::now();
    let facts = generate::generate(&mut conn, args.scale)?;
    print_facts(&facts, args.scale, started.elapsed());
    Ok(())
}

/// What bench/run.sh and bench/abuse.py read: the summary, the "Bench login:" lines and
/// the machine-readable BENCH_* lines.
fn print_facts(facts: &generate::BenchFacts, scale: Scale, took: std::time::Duration) {
    let s = facts.sizes;
    println!(
        "Benchmark data ({scale:?}) built in {:.1}s: {} resellers, {} customers, {} servers; \
         showcase: {} servers, {} alias users, {} roles.",
        took.as_secs_f64(),
        s.resellers,
        s.customers,
        s.servers,
        s.showcase_servers,
        s.aliases,
        s.roles
    );
    for (username, what) in &facts.logins {
        println!("Bench login: {username} / {BENCH_PASSWORD} ({what})");
    }
    println!("BENCH_SHOWCASE_ID={}", facts.showcase_id);
    println!("BENCH_BIG_ALIAS_ID={}", facts.big_alias_id);
    println!("BENCH_ROLE_ID={}", facts.role_id);
    let sample: Vec<String> = facts.assigned_sample.iter().map(i32::to_string).collect();
    println!("BENCH_ASSIGNED_SAMPLE={}", sample.join(","));
}
