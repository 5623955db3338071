//! What tests that start the `steward` binary themselves share: a free port to bind and the
//! fixed secret every instance signs session cookies with (so a session outlives a restart
//! and is valid on every instance of one database).

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn secret() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode([42u8; 64])
}
