//! What the layout needs on every page: the "Hi, {name}" menu, the navigation the login
//! may use, the impersonation banner, the CSRF token for forms, and the flash message.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    /// "success" or "error": picks the banner's colour.
    pub kind: String,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Impersonation {
    pub original_name: String,
    pub target_name: String,
}

#[derive(Debug, Clone)]
pub struct Chrome {
    pub display_name: String,
    pub csrf: String,
    pub show_users_nav: bool,
    pub show_audit_nav: bool,
    pub my_account_url: String,
    pub impersonation: Option<Impersonation>,
    pub flash: Option<Flash>,
    /// Which main navigation entry is current: "servers", "users" or "account".
    pub nav: &'static str,
}
