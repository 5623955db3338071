//! `SshPublicKey`: an OpenSSH public key line (`ssh-ed25519 AAAA… comment`) parsed with the
//! RustCrypto `ssh-key` crate and held to the panel's policy: Ed25519, ECDSA (and their
//! security-key variants) and RSA of at least 2048 bits are accepted; DSA, shorter RSA,
//! private keys and anything else are refused with a message that says what to paste.

use ssh_key::public::KeyData;
use ssh_key::{HashAlg, PublicKey};

/// The smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;
/// Longer than any public key line (a 16384-bit RSA key is about 2.8 KB).
const MAX_LEN: usize = 16 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshPublicKey {
    /// The key re-encoded in OpenSSH form, with its comment.
    openssh: String,
    /// `SHA256:…` as `ssh-keygen -l` prints it.
    fingerprint: String,
    /// "ED25519", "ECDSA P-256", "RSA 4096", …
    description: String,
}

impl SshPublicKey {
    pub fn parse(raw: &str) -> Result<SshPublicKey, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("Paste a public key, e.g. the contents of ~/.ssh/id_ed25519.pub.".into());
        }
        if s.contains("PRIVATE KEY") || s.starts_with("PuTTY-User-Key-File") {
            return Err(
                "This is a private key. Paste the public key (the .pub file) instead, \
                        and keep the private key secret."
                    .into(),
            );
        }
        if s.starts_with("---- BEGIN SSH2 PUBLIC KEY") {
            return Err("This key is in SSH2 format. Convert it with \
                        `ssh-keygen -i -f key.pub` and paste the one-line result."
                .into());
        }
        if s.len() > MAX_LEN || s.lines().count() > 1 {
            return Err("Paste exactly one public key, on one line.".into());
        }
        let key = PublicKey::from_openssh(s).map_err(|_| {
            "This is not an OpenSSH public key. It should look like \
             \"ssh-ed25519 AAAAC3Nza… you@host\"."
                .to_string()
        })?;
        let description = describe(key.key_data())?;
        let openssh = key
            .to_openssh()
            .map_err(|_| "This public key could not be read.".to_string())?;
        Ok(SshPublicKey {
            openssh,
            fingerprint: key.fingerprint(HashAlg::Sha256).to_string(),
            description,
        })
    }

    pub fn as_openssh(&self) -> &str {
        &self.openssh
    }

    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    pub fn description(&self) -> &str {
        &self.description
    }
}

/// The key type as shown in lists, or why the type is refused.
fn describe(data: &KeyData) -> Result<String, String> {
    match data {
        KeyData::Ed25519(_) => Ok("ED25519".into()),
        KeyData::SkEd25519(_) => Ok("ED25519-SK".into()),
        KeyData::Ecdsa(k) => Ok(format!("ECDSA {}", curve_label(k.curve().as_str()))),
        KeyData::SkEcdsaSha2NistP256(_) => Ok("ECDSA-SK P-256".into()),
        KeyData::Rsa(k) => {
            let bits = k.n.as_positive_bytes().map_or(0, bit_length);
            if bits < MIN_RSA_BITS {
                Err(format!(
                    "This RSA key has {bits} bits; at least {MIN_RSA_BITS} are required. \
                     Better still, use an Ed25519 key (ssh-keygen -t ed25519)."
                ))
            } else {
                Ok(format!("RSA {bits}"))
            }
        }
        KeyData::Dsa(_) => Err("DSA keys are no longer safe and are not accepted. \
                                Use an Ed25519 key (ssh-keygen -t ed25519)."
            .into()),
        _ => Err(
            "This key type is not accepted. Use Ed25519, ECDSA or RSA (2048 bits or more).".into(),
        ),
    }
}

fn curve_label(curve: &str) -> &'static str {
    match curve {
        "nistp256" => "P-256",
        "nistp384" => "P-384",
        "nistp521" => "P-521",
        _ => "",
    }
}

/// Bits of a big-endian unsigned number without leading zero bytes.
fn bit_length(bytes: &[u8]) -> usize {
    match bytes.first() {
        None => 0,
        Some(first) => bytes.len() * 8 - first.leading_zeros() as usize,
    }
}

/// The key type of a stored key line, for lists (stored keys were checked on the way in).
pub fn describe_stored(openssh: &str) -> String {
    PublicKey::from_openssh(openssh)
        .ok()
        .and_then(|k| describe(k.key_data()).ok())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED25519: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPkneLaZYuJGTQFjfEygOo7RjbevMftUnZw/eqme2hat test@ed25519";
    const ECDSA: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBBZZoaFLKZ4094is59v+Tti9rlEh+3XewQmyefcWPDOSpKKZMv69bm8a5E6+8SX4rbMdZ1K+rURw6n0UUQa38Bg= test@ecdsa";
    const RSA_2048: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC1hTOZwB2gqRk07anXQtHBIwau3+rggF3/H8th0bkkZIUJYeq7MV/NAjWQy4ViQfdEomp5XXjxapRcouy7USRTdlrFyPaKAuYvhKiy1QXdp+22bY3mPagor1NBenQu0XA+Dm6E6DpeHlmOIXZ8dEusmjbn8RfX3mPw/a59g046AOOl4zbYBmpKGhq+iJxx9ZuaMZJ9hnTpi1MjgGepXnfajrrKXxNbRQghhr7LMYbDhonnPLprhMW8jxb7GSLig9EgkX3tAGOZzwo1/TX3wZuiS8XPwP+ammJyFF3CA7tAJzH0LwFmIK4XyZUBVSpccQNRwFFnGUiBqrt6RR5Pe8FB test@rsa2048";
    const RSA_1024: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDlb8GWYsGsl2QMSMnkhp83n5A8+KxMk/LRwuFflUdxycHRvm3DPwdBUULPvaVumhViH7WelDG+djtkIYoaEoPlx9kOOD8+qMyj1m+wLSSEAObFdcguJLpGMail7EFOOcNK0L4E6E+JPgrdRkOcTf3FC0a11v4UITztFp/ccG81bQ== test@rsa1024";
    const DSA: &str = "ssh-dss AAAAB3NzaC1kc3MAAACBAPLfsqJD+UZC+836+q6V5PwcoP/eT4tlABDzUT0qVM5ATQN5jTsXP9cgQ86Tosjpe/QkxTe8LcpYGzJoJ/6Nwkp9efCEqW2SwnaeBzTmifvSfP0FGLBQcr6sG+Wbt8fuILzhwVXX7+MJ7DXXUy7C5fO9jyHlld5OEolUouTOSsspAAAAFQC6p2vRtNTHjfZpFZNOdK/46OhdbQAAAIBy3i08WkaYB2WYioEfAsK1uTDOSIJ//hSZ5hZCmr7PKiggGa73hQ8RyP1C5Siyhkt6X5zu7uZdJqsFSssLRleDAqEoY2txOneZB0zAtjyxRt+r8VOVlUxw0rG7j6AUfdSa46Rb4Z0DkkAHrEqRsRSit8410dXTSUVhi/BzC8OlEQAAAIEA5zi+bygPoIXpFjPpTKdNeG2WIVwQmQ4253TOEp9Ntb+4gljQUsyB7srvuLVdEI0A5mYdWBJnP+JHOPvSBTdOQOWNi8BgLrQNuGQvcYECsyHi47/eviD/10y69+/PlWrJnAvMZueZlcyIru38n09/LDrwAPvFDNDOEq6eJk0dTWg= test@dsa";

    #[test]
    fn modern_keys_are_accepted_with_their_sha256_fingerprint() {
        let k = SshPublicKey::parse(&format!("  {ED25519}\n")).unwrap();
        assert_eq!(k.description(), "ED25519");
        assert!(k.fingerprint().starts_with("SHA256:"));
        assert_eq!(k.as_openssh(), ED25519);
        assert_eq!(
            SshPublicKey::parse(ECDSA).unwrap().description(),
            "ECDSA P-256"
        );
        assert_eq!(
            SshPublicKey::parse(RSA_2048).unwrap().description(),
            "RSA 2048"
        );
        assert_eq!(describe_stored(ED25519), "ED25519");
    }

    #[test]
    fn weak_private_and_garbage_keys_are_refused_with_a_reason() {
        assert!(SshPublicKey::parse(RSA_1024)
            .unwrap_err()
            .contains("1024 bits"));
        assert!(SshPublicKey::parse(DSA).unwrap_err().contains("DSA"));
        let private = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";
        assert!(SshPublicKey::parse(private)
            .unwrap_err()
            .contains("private key"));
        assert!(SshPublicKey::parse("hello world")
            .unwrap_err()
            .contains("not an OpenSSH"));
        assert!(SshPublicKey::parse("").is_err());
        assert!(SshPublicKey::parse(&format!("{ED25519}\n{ED25519}")).is_err());
        // A valid header with a corrupted body.
        assert!(SshPublicKey::parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPkneLa").is_err());
    }
}
