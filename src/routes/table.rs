//! The route table. actix-web builds its router from `.route()` calls and offers no public
//! way to list it afterwards, so every feature's `configure` registers its routes through
//! `Routes`, which hands each one to actix-web and writes down its method and full path in
//! the same call. `RouteTable::of_the_panel()` runs the real registration (`register`) on a
//! throwaway app and answers what was written: the authorization matrix compares its rows
//! with this list, so a route added without a row fails a test. The record is exactly as
//! honest as the rule that features register routes only through `get`, `post`, `patch`,
//! `put`, `delete` and `scope`; the `ServiceConfig` itself is not handed out. Each route
//! also names the form or query fields its handler reads (`reads::<Form>()`), for the
//! hostile-input test.

use actix_web::dev::HttpServiceFactory;
use actix_web::{web, FromRequest, Handler, Responder, Scope};
use serde::de::DeserializeOwned;

/// One route: its method, its full path, and the form or query fields its handler reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRow {
    pub method: &'static str,
    pub path: String,
    pub fields: Vec<&'static str>,
}

/// Every route the panel serves, in registration order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RouteTable {
    pub routes: Vec<RouteRow>,
}

impl RouteTable {
    /// The routes `register` gives the real server, collected by running it.
    pub fn of_the_panel() -> RouteTable {
        let mut table = RouteTable::default();
        let _ = actix_web::App::new().configure(|cfg| super::collect(cfg, &mut table));
        table
    }
}

/// What a feature's `configure` gets: routes go to actix-web and into the table together.
pub struct Routes<'a> {
    cfg: &'a mut web::ServiceConfig,
    prefix: String,
    table: &'a mut RouteTable,
}

impl<'a> Routes<'a> {
    pub fn new(cfg: &'a mut web::ServiceConfig, table: &'a mut RouteTable) -> Routes<'a> {
        Routes {
            cfg,
            prefix: String::new(),
            table,
        }
    }

    pub fn get<F, Args>(&mut self, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add("GET", path, web::get().to(handler))
    }

    pub fn post<F, Args>(&mut self, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add("POST", path, web::post().to(handler))
    }

    pub fn patch<F, Args>(&mut self, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add("PATCH", path, web::patch().to(handler))
    }

    pub fn put<F, Args>(&mut self, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add("PUT", path, web::put().to(handler))
    }

    pub fn delete<F, Args>(&mut self, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add("DELETE", path, web::delete().to(handler))
    }

    /// Routes under `prefix` in a scope that `decorate` may give its own data and default
    /// service (the JSON API's error handlers); `inner` registers the routes themselves.
    pub fn scope<S: HttpServiceFactory + 'static>(
        &mut self,
        prefix: &str,
        decorate: impl FnOnce(Scope) -> S,
        inner: impl FnOnce(&mut Routes),
    ) -> &mut Self {
        let full = format!("{}{prefix}", self.prefix);
        let table = &mut *self.table;
        let scope = web::scope(prefix).configure(|cfg| {
            inner(&mut Routes {
                cfg,
                prefix: full,
                table,
            })
        });
        self.cfg.service(decorate(scope));
        self
    }

    /// The route just registered reads the form or query struct `T` (its field names are
    /// taken from `T`'s own `Deserialize`, see fields.rs).
    pub fn reads<T: DeserializeOwned>(&mut self) -> &mut Self {
        self.reads_fields(super::fields::fields_of::<T>())
    }

    /// The route just registered reads these fields from a body it parses by hand.
    pub fn reads_fields(&mut self, fields: &[&'static str]) -> &mut Self {
        let last = self
            .table
            .routes
            .last_mut()
            .expect("a route registered first");
        last.fields.extend_from_slice(fields);
        self
    }

    fn add(&mut self, method: &'static str, path: &str, route: actix_web::Route) -> &mut Self {
        self.table.routes.push(RouteRow {
            method,
            path: format!("{}{path}", self.prefix),
            fields: Vec::new(),
        });
        self.cfg.route(path, route);
        self
    }
}
