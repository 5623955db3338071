//! Alias roles: the Roles tab and the role editor (`pages`), and the same rules through
//! the JSON API's role routes (`api`).

mod api;
mod pages;
