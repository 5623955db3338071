//! A software authenticator for the HTTP tests of passkeys: what a browser and a security
//! key together send back from `navigator.credentials.create` and `.get`, built by the
//! book (WebAuthn §6: authenticator data, "none" attestation in CBOR, an ES256 key, the
//! client data JSON with the origin) so that webauthn-rs checks it exactly as it checks a
//! real one. The browser test does the same with Chromium's virtual authenticator.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// One credential: its id, its key and its signature counter.
pub struct SoftKey {
    pub id: Vec<u8>,
    key: SigningKey,
    counter: u32,
    /// The origin the "browser" reports (the panel's, unless a test lies).
    pub origin: String,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(s)
        .expect("base64url from the server")
}

/// A CBOR item head (major type and length or value), RFC 8949 §3.
fn head(major: u8, n: u64) -> Vec<u8> {
    let m = major << 5;
    match n {
        0..=23 => vec![m | n as u8],
        24..=0xff => vec![m | 24, n as u8],
        0x100..=0xffff => {
            let mut v = vec![m | 25];
            v.extend_from_slice(&(n as u16).to_be_bytes());
            v
        }
        _ => {
            let mut v = vec![m | 26];
            v.extend_from_slice(&(n as u32).to_be_bytes());
            v
        }
    }
}

fn int(i: i64) -> Vec<u8> {
    if i >= 0 {
        head(0, i as u64)
    } else {
        head(1, (-1 - i) as u64)
    }
}

fn bytes(b: &[u8]) -> Vec<u8> {
    let mut v = head(2, b.len() as u64);
    v.extend_from_slice(b);
    v
}

fn text(s: &str) -> Vec<u8> {
    let mut v = head(3, s.len() as u64);
    v.extend_from_slice(s.as_bytes());
    v
}

impl SoftKey {
    pub fn new(origin: &str) -> SoftKey {
        let key = loop {
            let seed: [u8; 32] = rand::random();
            if let Ok(k) = SigningKey::from_slice(&seed) {
                break k;
            }
        };
        let id: [u8; 16] = rand::random();
        SoftKey {
            id: id.to_vec(),
            key,
            counter: 0,
            origin: origin.to_string(),
        }
    }

    /// The public key as COSE (EC2, P-256, ES256).
    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.verifying_key().to_encoded_point(false);
        let mut v = head(5, 5);
        v.extend(int(1));
        v.extend(int(2)); // kty: EC2
        v.extend(int(3));
        v.extend(int(-7)); // alg: ES256
        v.extend(int(-1));
        v.extend(int(1)); // crv: P-256
        v.extend(int(-2));
        v.extend(bytes(point.x().expect("x")));
        v.extend(int(-3));
        v.extend(bytes(point.y().expect("y")));
        v
    }

    fn client_data(&self, kind: &str, challenge: &str) -> Vec<u8> {
        json!({
            "type": kind,
            "challenge": challenge,
            "origin": self.origin,
            "crossOrigin": false,
        })
        .to_string()
        .into_bytes()
    }

    /// User present and verified (PIN or biometrics), plus `extra` flags.
    fn auth_data(&self, rp_id: &str, extra: u8) -> Vec<u8> {
        let mut d = Sha256::digest(rp_id.as_bytes()).to_vec();
        d.push(0x01 | 0x04 | extra);
        d.extend_from_slice(&self.counter.to_be_bytes());
        d
    }

    /// The credential for the options of a registration start (its `publicKey`).
    pub fn register(&self, options: &Value) -> Value {
        let pk = &options["publicKey"];
        let rp_id = pk["rp"]["id"].as_str().expect("rp.id");
        let challenge = pk["challenge"].as_str().expect("challenge");
        let mut auth = self.auth_data(rp_id, 0x40); // attested credential data follows
        auth.extend_from_slice(&[0u8; 16]); // AAGUID
        auth.extend_from_slice(&(self.id.len() as u16).to_be_bytes());
        auth.extend_from_slice(&self.id);
        auth.extend(self.cose_key());
        let mut att = head(5, 3);
        att.extend(text("fmt"));
        att.extend(text("none"));
        att.extend(text("attStmt"));
        att.extend(head(5, 0));
        att.extend(text("authData"));
        att.extend(bytes(&auth));
        json!({
            "id": b64(&self.id),
            "rawId": b64(&self.id),
            "type": "public-key",
            "response": {
                "attestationObject": b64(&att),
                "clientDataJSON": b64(&self.client_data("webauthn.create", challenge)),
            },
            "extensions": {},
        })
    }

    /// The assertion for the options of an authentication start; the counter goes up.
    pub fn assert(&mut self, options: &Value) -> Value {
        let pk = &options["publicKey"];
        let rp_id = pk["rpId"].as_str().expect("rpId");
        let challenge = pk["challenge"].as_str().expect("challenge");
        self.counter += 1;
        let auth = self.auth_data(rp_id, 0);
        let client = self.client_data("webauthn.get", challenge);
        let mut signed = auth.clone();
        signed.extend_from_slice(&Sha256::digest(&client));
        let sig: Signature = self.key.sign(&signed);
        json!({
            "id": b64(&self.id),
            "rawId": b64(&self.id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64(&auth),
                "clientDataJSON": b64(&client),
                "signature": b64(sig.to_der().as_bytes()),
                "userHandle": null,
            },
            "extensions": {},
        })
    }
}

/// The credential ids the server allows in an authentication start.
pub fn allowed(options: &Value) -> Vec<Vec<u8>> {
    options["publicKey"]["allowCredentials"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| unb64(c["id"].as_str().expect("id")))
        .collect()
}
