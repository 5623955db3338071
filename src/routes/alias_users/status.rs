//! An alias user's status as the pages show it: disabled wins over invited (no password
//! chosen yet), which wins over expired.

use chrono::NaiveDate;

use crate::models::user::User;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AliasStatus {
    Active,
    Invited,
    Disabled,
    Expired,
}

impl AliasStatus {
    pub fn of(alias: &User, today: NaiveDate) -> AliasStatus {
        if alias.disabled {
            AliasStatus::Disabled
        } else if alias.invited_at.is_some() {
            AliasStatus::Invited
        } else if alias.is_expired(today) {
            AliasStatus::Expired
        } else {
            AliasStatus::Active
        }
    }

    /// The CSS modifier and the word shown.
    pub fn key(self) -> &'static str {
        match self {
            AliasStatus::Active => "active",
            AliasStatus::Invited => "invited",
            AliasStatus::Disabled => "disabled",
            AliasStatus::Expired => "expired",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AliasStatus::Active => "Active",
            AliasStatus::Invited => "Invited",
            AliasStatus::Disabled => "Disabled",
            AliasStatus::Expired => "Expired",
        }
    }
}
