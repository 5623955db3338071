//! The inventory form shared by add and edit: parsing, and the duplicate checks that need
//! the database (run inside the saving transaction; the unique indexes back them up).

use serde::Deserialize;

use crate::db::DbConn;
use crate::domain::{DnsName, IpAddress, ShortText, Tags};
use crate::models::server::Server;
use crate::models::server_ip;
use crate::web::form::FieldErrors;

#[derive(Debug, Default, Clone, Deserialize)]
pub struct ServerForm {
    #[serde(default)]
    pub hostname: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub ip: String,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub tags: String,
    #[serde(default)]
    pub cpu: String,
    #[serde(default)]
    pub memory_gb: String,
    #[serde(default)]
    pub disks: String,
}

impl ServerForm {
    pub fn of(s: &Server) -> ServerForm {
        ServerForm {
            hostname: s.hostname.clone(),
            name: s.name.clone(),
            ip: s.primary_ip.clone(),
            location: s.location.clone(),
            tags: s.tags.replace(',', ", "),
            cpu: s.cpu.clone(),
            memory_gb: if s.memory_gb > 0 {
                s.memory_gb.to_string()
            } else {
                String::new()
            },
            disks: s.disks.clone(),
        }
    }
}

/// A valid inventory form.
#[derive(Debug, Clone)]
pub struct ValidServer {
    pub hostname: String,
    pub name: String,
    pub ip: String,
    pub location: String,
    pub tags: String,
    pub cpu: String,
    pub memory_gb: i32,
    pub disks: String,
}

pub fn validate(form: &ServerForm) -> Result<ValidServer, FieldErrors> {
    let mut e = FieldErrors::default();
    let hostname = e.check("hostname", DnsName::parse(&form.hostname));
    let ip = e.check("ip", IpAddress::parse(&form.ip));
    let name = e.check("name", ShortText::parse(&form.name, 100, false));
    let location = e.check("location", ShortText::parse(&form.location, 60, false));
    let tags = e.check("tags", Tags::parse(&form.tags));
    let cpu = e.check("cpu", ShortText::parse(&form.cpu, 100, false));
    let disks = e.check("disks", ShortText::parse(&form.disks, 200, false));
    let memory_gb = match form.memory_gb.trim() {
        "" => Some(0),
        raw => e.check(
            "memory_gb",
            raw.parse::<i32>()
                .ok()
                .filter(|m| (0..=65_536).contains(m))
                .ok_or_else(|| "Enter the memory in GB as a whole number.".to_string()),
        ),
    };
    match (hostname, ip, name, location, tags, cpu, disks, memory_gb) {
        (
            Some(hostname),
            Some(ip),
            Some(name),
            Some(location),
            Some(tags),
            Some(cpu),
            Some(disks),
            Some(memory_gb),
        ) if e.is_empty() => Ok(ValidServer {
            name: if name.as_str().is_empty() {
                hostname.as_str().to_string()
            } else {
                name.0
            },
            hostname: hostname.as_str().to_string(),
            ip: ip.as_str().to_string(),
            location: location.0,
            tags: tags.as_str().to_string(),
            cpu: cpu.0,
            memory_gb,
            disks: disks.0,
        }),
        _ => Err(e),
    }
}

/// Hostname and IP must not belong to another server (`except`: the one being edited).
pub fn duplicates(
    conn: &mut DbConn,
    v: &ValidServer,
    except: i32,
) -> diesel::QueryResult<FieldErrors> {
    let mut e = FieldErrors::default();
    if Server::hostname_taken(conn, &v.hostname, except)? {
        e.add("hostname", "Another server has this hostname.");
    }
    if server_ip::taken(conn, &v.ip, except)? {
        e.add("ip", "This address belongs to another server.");
    }
    Ok(e)
}
