//! How big an installation to build, and the seeded generator that makes it the same on
//! every run.

/// How big an installation to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    Full,
    Tenth,
}

/// The counts of one scale.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub resellers: usize,
    pub customers: usize,
    pub servers: usize,
    pub showcase_servers: usize,
    pub aliases: usize,
    pub big_alias_servers: usize,
    pub roles: usize,
}

impl Scale {
    pub fn sizes(self) -> Sizes {
        let d = match self {
            Scale::Full => 1,
            Scale::Tenth => 10,
        };
        Sizes {
            resellers: 20 / d,
            customers: 2_000 / d,
            servers: 20_000 / d,
            showcase_servers: 10_000 / d,
            aliases: 500 / d,
            big_alias_servers: 1_000 / d,
            roles: 50 / d,
        }
    }
}

/// splitmix64: a tiny, fully specified generator, so the data never depends on a crate's
/// choice of algorithm.
pub struct Seeded(u64);

impl Seeded {
    /// The benchmark's one seed.
    pub fn bench() -> Self {
        Seeded(0x5745_5741_5244) // "STEWARD"
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
