//! Rows of the authorization matrix for the JSON API, filled in when the API lands.
pub const ROWS: &[(&str, &str, &str, &str)] = &[];
