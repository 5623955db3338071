//! Cryptographic building blocks with no knowledge of the rest of the panel: password
//! hashing (Argon2id), random tokens with their at-rest hashes, and API key secrets.

pub mod api_key;
pub mod passkey;
pub mod password;
pub mod sealed;
pub mod token;
pub mod totp;
