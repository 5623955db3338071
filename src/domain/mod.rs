//! Types for what comes in from forms and the API. Each `parse` turns a raw string into a
//! value that cannot be invalid, or into the message shown next to the field. Nothing here
//! touches the database.

mod allowed_ips;
mod email;
mod expiry;
mod fields;
mod password;
mod role;
pub mod search;
mod server;
mod ssh_key;
mod text;
mod username;

pub use allowed_ips::AllowedIps;
pub use email::Email;
pub use expiry::Expiry;
pub use fields::FieldErrors;
pub use password::NewPassword;
pub use role::{RoleDescription, RoleName};
pub use server::{DnsName, IpAddress, OsChoice, Tags, OS_CHOICES};
pub use ssh_key::{describe_stored as describe_ssh_key, SshPublicKey};
pub use text::{is_format_character, optional_date, DisplayName, ShortText};
pub use username::Username;
