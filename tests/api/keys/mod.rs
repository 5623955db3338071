//! A login's keys: the SSH-key and API-key pages (`pages`), API keys scoped to fewer
//! rights or addresses (`scoped_api_keys`), and the SSH keys a reinstall or rescue puts on
//! a server (`installed_on_servers`). Making an API key through its page is
//! `helpers::create_api_key`.

mod installed_on_servers;
mod pages;
mod scoped_api_keys;
