//! Cryptographic building blocks with no knowledge of the rest of the panel: password
//! hashing (Argon2id) and random tokens with their at-rest hashes.

pub mod password;
pub mod token;
