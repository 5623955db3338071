//! Alias users, the logins an account makes for its people: the Alias Users tab and an
//! alias user's page (`page`), the same changes through the JSON API (`api`), the tab's
//! server counts (`tab_counts`) and offboarding in one step (`offboarding`).

mod api;
mod offboarding;
mod page;
mod tab_counts;
