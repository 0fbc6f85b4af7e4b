//! The users `segql serve` lets in, checked by SCRAM-SHA-256: from a file of `user:password`
//! lines or from `SEGQL_USER`/`SEGQL_PASSWORD`. Passwords are salted and hashed once at start;
//! the server keeps only the salted hashes.
//!
//! ```text
//! # users.txt (keep it private: chmod 600)
//! analyst:correct horse battery staple
//! superset:another long secret
//! ```

use std::collections::HashMap;
use std::path::Path;

use async_trait::async_trait;
use pgwire::api::auth::sasl::scram::{SCRAM_ITERATIONS, gen_salted_password};
use pgwire::api::auth::{AuthSource, LoginInfo, Password};
use pgwire::error::PgWireResult;

use super::error::ServeError;

/// Salted SCRAM-SHA-256 secrets by user name.
#[derive(Debug, Default, Clone)]
pub struct Users {
    secrets: HashMap<String, Password>,
}

impl Users {
    /// No users: only possible on a loopback address, where any client is let in.
    pub fn none() -> Self {
        Self::default()
    }

    /// Whether any user is configured.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// The configured user names, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.secrets.keys().cloned().collect();
        names.sort();
        names
    }

    /// Add a user (replacing one of the same name).
    pub fn insert(&mut self, user: &str, password: &str) {
        let salt: [u8; 16] = rand::random();
        let salted = gen_salted_password(password, &salt, SCRAM_ITERATIONS);
        self.secrets
            .insert(user.to_string(), Password::new(Some(salt.to_vec()), salted));
    }

    /// Read `user:password` lines; blank lines and `#` comments are skipped. The password is
    /// everything after the first colon, spaces included.
    pub fn from_file(path: &Path) -> Result<Self, ServeError> {
        let error = |reason: String| ServeError::Users {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
        let mut users = Self::none();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let Some((user, password)) = line.split_once(':') else {
                return Err(error(format!(
                    "line {}: expected user:password, found no ':'",
                    index + 1
                )));
            };
            let user = user.trim();
            if user.is_empty() || password.is_empty() {
                return Err(error(format!(
                    "line {}: the user name and the password must not be empty",
                    index + 1
                )));
            }
            if users.secrets.contains_key(user) {
                return Err(error(format!(
                    "line {}: user '{user}' is listed twice",
                    index + 1
                )));
            }
            users.insert(user, password);
        }
        if users.is_empty() {
            return Err(error("the file lists no users".to_string()));
        }
        Ok(users)
    }

    /// One user from `SEGQL_USER` and `SEGQL_PASSWORD`, if both are set.
    pub fn from_env() -> Result<Option<Self>, ServeError> {
        let user = std::env::var("SEGQL_USER").ok().filter(|u| !u.is_empty());
        let password = std::env::var("SEGQL_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty());
        match (user, password) {
            (Some(user), Some(password)) => {
                let mut users = Self::none();
                users.insert(&user, &password);
                Ok(Some(users))
            }
            (None, None) => Ok(None),
            (Some(_), None) => Err(ServeError::UsersEnv(
                "SEGQL_USER is set but SEGQL_PASSWORD is not: set both, or neither".to_string(),
            )),
            (None, Some(_)) => Err(ServeError::UsersEnv(
                "SEGQL_PASSWORD is set but SEGQL_USER is not: set both, or neither".to_string(),
            )),
        }
    }
}

#[async_trait]
impl AuthSource for Users {
    /// The salted secret of a known user. An unknown user gets a random secret, so the
    /// exchange runs to the end and fails exactly as a wrong password does: a client cannot
    /// tell which user names exist.
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        if let Some(secret) = login.user().and_then(|u| self.secrets.get(u)) {
            return Ok(secret.clone());
        }
        let salt: [u8; 16] = rand::random();
        let noise: [u8; 32] = rand::random();
        Ok(Password::new(Some(salt.to_vec()), noise.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    #[test]
    fn reads_users_and_passwords_with_colons_and_spaces() {
        let file = write("# team\nanna:pass word:with colon\n\nbob:x\n");
        let users = Users::from_file(file.path()).unwrap();
        assert_eq!(users.names(), vec!["anna", "bob"]);
        let anna = &users.secrets["anna"];
        let expected = gen_salted_password("pass word:with colon", anna.salt().unwrap(), 4096);
        assert_eq!(anna.password(), expected.as_slice());
    }

    #[test]
    fn malformed_files_name_the_line() {
        let cases = [
            ("anna\n", "line 1: expected user:password"),
            (
                "anna:x\n:pw\n",
                "line 2: the user name and the password must not be empty",
            ),
            ("anna:x\nanna:y\n", "line 2: user 'anna' is listed twice"),
            ("# nobody\n", "lists no users"),
        ];
        for (text, expected) in cases {
            let file = write(text);
            let err = Users::from_file(file.path()).unwrap_err().to_string();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
        let missing = Users::from_file(Path::new("/nonexistent/users.txt")).unwrap_err();
        assert!(
            missing
                .to_string()
                .starts_with("--users /nonexistent/users.txt:")
        );
    }
}
