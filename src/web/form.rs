//! Reading urlencoded forms by hand (repeated keys kept). The problems found in a form,
//! `FieldErrors`, live in `domain` because operations return them to both doors.

pub use crate::domain::FieldErrors;

/// The fields of an urlencoded body in order, repeated keys kept (`server_id=1&server_id=2`),
/// which serde's struct forms cannot hold.
pub fn pairs(body: &[u8]) -> Result<Vec<(String, String)>, super::AppError> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .map_err(|_| super::AppError::BadRequest("The form could not be read.".into()))
}

/// The first value of `key` among the pairs, or "".
pub fn first<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

/// Every value of `key` among the pairs.
pub fn all<'a>(pairs: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .collect()
}
