//! Profiles: which stack Stratus talks to. `demo` is built in and offline;
//! cloud profiles name an AWS profile (or the default credential chain), a
//! region, an optional S3-compatible endpoint, and bucket and topic names.
//! Credentials are never stored here.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::home::AppHome;
use crate::{Error, Result};

/// The name of the built-in offline profile.
pub const DEMO: &str = "demo";
/// Bucket names the demo profile's local store uses.
pub const DEMO_MEDIA_BUCKET: &str = "stratus-demo-media";
pub const DEMO_EVENTS_BUCKET: &str = "stratus-demo-events";
/// Where `stratus serve` answers by default: the demo profile's image function.
pub const DEMO_IMAGE_FUNCTION_URL: &str = "http://127.0.0.1:8787";

/// Where a cloud profile points. No secrets: credentials come from the AWS
/// credential chain at run time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudSettings {
    /// Named profile in `~/.aws/config`; `None` uses the default chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_profile: Option<String>,
    pub region: String,
    /// For S3-compatible stores (MinIO, moto, …) or VPC endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
    #[serde(default)]
    pub force_path_style: bool,
    /// Lets `endpoint_url` be plain `http://` to a host other than this
    /// computer (a MinIO on a trusted LAN): off unless asked for, since
    /// requests and their signatures then travel unencrypted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_insecure_http: bool,
    pub media_bucket: String,
    pub events_bucket: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_arn: Option<String>,
    /// Public base URL of the deployed image function (API Gateway or a CDN
    /// in front of it), e.g. `https://img.example.com`: the editor's "copy
    /// URL" gives `<this>/img/<preset>/<key>`. `None` until it is deployed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_function_url: Option<String>,
}

impl CloudSettings {
    /// The endpoint URL to show: a `user:password@` part (possible only in a
    /// file written before such URLs were refused) is left out.
    pub fn endpoint_for_display(&self) -> Option<String> {
        let url = self.endpoint_url.as_deref()?;
        let Some((scheme, rest)) = url.split_once("://") else {
            return Some(url.to_string());
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        Some(match rest[..end].rfind('@') {
            Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
            None => url.to_string(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileKind {
    Demo,
    Cloud(CloudSettings),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub kind: ProfileKind,
}

impl Profile {
    pub fn demo() -> Self {
        Profile {
            name: DEMO.to_string(),
            kind: ProfileKind::Demo,
        }
    }

    pub fn cloud(name: impl Into<String>, settings: CloudSettings) -> Self {
        Profile {
            name: name.into(),
            kind: ProfileKind::Cloud(settings),
        }
    }

    pub fn is_demo(&self) -> bool {
        matches!(self.kind, ProfileKind::Demo)
    }

    /// Base URL of the image function serving this profile's variants.
    pub fn image_function_url(&self) -> Option<&str> {
        match &self.kind {
            ProfileKind::Demo => Some(DEMO_IMAGE_FUNCTION_URL),
            ProfileKind::Cloud(c) => c.image_function_url.as_deref(),
        }
    }

    pub fn media_bucket(&self) -> &str {
        match &self.kind {
            ProfileKind::Demo => DEMO_MEDIA_BUCKET,
            ProfileKind::Cloud(c) => &c.media_bucket,
        }
    }

    pub fn events_bucket(&self) -> &str {
        match &self.kind {
            ProfileKind::Demo => DEMO_EVENTS_BUCKET,
            ProfileKind::Cloud(c) => &c.events_bucket,
        }
    }

    /// Checks names, region, endpoint URL, bucket names and topic ARN, and
    /// trims optional fields to `None` when blank.
    pub fn validated(mut self) -> Result<Self> {
        validate_name(&self.name)?;
        if let ProfileKind::Cloud(c) = &mut self.kind {
            let blank_to_none = |v: &mut Option<String>| {
                if v.as_deref().is_some_and(|s| s.trim().is_empty()) {
                    *v = None;
                }
                if let Some(s) = v {
                    *s = s.trim().to_string();
                }
            };
            blank_to_none(&mut c.aws_profile);
            blank_to_none(&mut c.endpoint_url);
            blank_to_none(&mut c.topic_arn);
            blank_to_none(&mut c.image_function_url);
            if let Some(url) = &mut c.image_function_url {
                // `<base>/img/…` is appended: one trailing slash is noise.
                while url.ends_with('/') {
                    url.pop();
                }
            }
            c.region = c.region.trim().to_string();
            c.media_bucket = c.media_bucket.trim().to_string();
            c.events_bucket = c.events_bucket.trim().to_string();
            validate_region(&c.region)?;
            if let Some(url) = &c.endpoint_url {
                validate_endpoint(url, c.allow_insecure_http)?;
            }
            validate_bucket("media bucket", &c.media_bucket)?;
            validate_bucket("events bucket", &c.events_bucket)?;
            if let Some(arn) = &c.topic_arn {
                validate_topic_arn(arn)?;
            }
            if let Some(url) = &c.image_function_url {
                validate_url("image function URL", url, "https://img.example.com")?;
            }
        }
        Ok(self)
    }
}

fn invalid(message: String) -> Error {
    Error::InvalidProfile(message)
}

fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "name `{name}` must be 1–40 characters of a–z, 0–9, `-` or `_`, starting with a letter or digit"
        )))
    }
}

fn validate_region(region: &str) -> Result<()> {
    let ok = !region.is_empty()
        && region.len() <= 32
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "region `{region}` is not a region name such as `eu-west-1`"
        )))
    }
}

/// An endpoint URL: no credentials in it, and encrypted unless it stays on
/// this computer or plain HTTP is explicitly allowed.
fn validate_endpoint(url: &str, allow_insecure_http: bool) -> Result<()> {
    let parsed = validate_url("endpoint URL", url, "http://127.0.0.1:9000")?;
    if parsed.scheme() == "http" && !allow_insecure_http && !is_loopback(&parsed) {
        return Err(invalid(format!(
            "endpoint URL `{url}` is plain http:// to another computer, so requests would travel unencrypted; use https://, or allow insecure HTTP for this profile"
        )));
    }
    Ok(())
}

/// `localhost`, `*.localhost`, 127.0.0.0/8 and `::1`.
fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => {
            let d = d.to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// An http(s) URL with a host and no `user:password@` part. The message
/// never repeats a URL that carries credentials.
fn validate_url(label: &str, url: &str, example: &str) -> Result<url::Url> {
    let shape_error = || {
        invalid(format!(
            "{label} `{url}` must start with http:// or https:// followed by a host, e.g. {example}"
        ))
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(shape_error)?;
    if rest.is_empty() || rest.starts_with('/') || rest.contains(char::is_whitespace) {
        return Err(shape_error());
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(invalid(format!(
            "{label} must not carry a user name or password (`user:…@`): Stratus never stores credentials, they come from the AWS credential chain"
        )));
    }
    let parsed = url::Url::parse(url).map_err(|_| shape_error())?;
    if parsed.host().is_none() {
        return Err(shape_error());
    }
    Ok(parsed)
}

/// S3's bucket naming rules (the ones a typo breaks).
fn validate_bucket(label: &str, bucket: &str) -> Result<()> {
    let ok = (3..=63).contains(&bucket.len())
        && bucket
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
        && bucket.ends_with(|c: char| c.is_ascii_alphanumeric())
        && !bucket.contains("..");
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "{label} `{bucket}` is not a valid S3 bucket name (3–63 characters: a–z, 0–9, `-`, `.`; starting and ending with a letter or digit)"
        )))
    }
}

fn validate_topic_arn(arn: &str) -> Result<()> {
    let parts: Vec<&str> = arn.split(':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "sns"
        && parts[5]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        && !parts[5].is_empty();
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "topic ARN `{arn}` should look like arn:aws:sns:eu-west-1:123456789012:my-topic"
        )))
    }
}

/// The profiles file as stored.
#[derive(Debug, Default, Serialize, Deserialize)]
struct ProfilesFile {
    #[serde(default = "demo_name")]
    active: String,
    #[serde(default, rename = "profile")]
    profiles: Vec<StoredProfile>,
}

fn demo_name() -> String {
    DEMO.to_string()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredProfile {
    name: String,
    #[serde(flatten)]
    settings: CloudSettings,
}

/// The set of profiles and which one is active, kept in `profiles.toml`.
#[derive(Debug)]
pub struct ProfileBook {
    path: PathBuf,
    file: ProfilesFile,
}

impl ProfileBook {
    /// Reads the profiles file; a missing file means "only demo, active".
    pub fn load(home: &AppHome) -> Result<Self> {
        let path = home.profiles_file();
        let file = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| Error::ConfigCorrupt {
                path: path.clone(),
                reason: e.to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => ProfilesFile {
                active: demo_name(),
                profiles: Vec::new(),
            },
            Err(e) => return Err(Error::io(format!("cannot read {}", path.display()), e)),
        };
        let mut book = ProfileBook { path, file };
        // A hand-edited file may name a profile that is gone: fall back to demo.
        if book.get(&book.file.active.clone()).is_err() {
            book.file.active = demo_name();
        }
        Ok(book)
    }

    /// Demo first, then cloud profiles in the order they were added.
    pub fn list(&self) -> Vec<Profile> {
        std::iter::once(Profile::demo())
            .chain(
                self.file
                    .profiles
                    .iter()
                    .map(|p| Profile::cloud(p.name.clone(), p.settings.clone())),
            )
            .collect()
    }

    pub fn get(&self, name: &str) -> Result<Profile> {
        if name == DEMO {
            return Ok(Profile::demo());
        }
        self.file
            .profiles
            .iter()
            .find(|p| p.name == name)
            .map(|p| Profile::cloud(p.name.clone(), p.settings.clone()))
            .ok_or_else(|| Error::ProfileNotFound(name.to_string()))
    }

    pub fn active(&self) -> Profile {
        self.get(&self.file.active)
            .unwrap_or_else(|_| Profile::demo())
    }

    pub fn active_name(&self) -> &str {
        &self.file.active
    }

    /// Adds a new cloud profile, or replaces `original_name` (which may be a
    /// rename). Saves the file.
    pub fn save(&mut self, original_name: Option<&str>, profile: Profile) -> Result<Profile> {
        let profile = profile.validated()?;
        let ProfileKind::Cloud(settings) = profile.kind.clone() else {
            return Err(Error::DemoProfileReadOnly("replaced"));
        };
        if original_name == Some(DEMO) {
            return Err(Error::DemoProfileReadOnly("edited"));
        }
        let renamed_onto_other = original_name != Some(profile.name.as_str());
        if renamed_onto_other && (profile.name == DEMO || self.get(&profile.name).is_ok()) {
            return Err(Error::ProfileExists(profile.name));
        }
        let stored = StoredProfile {
            name: profile.name.clone(),
            settings,
        };
        match original_name {
            None => self.file.profiles.push(stored),
            Some(old) => {
                let slot = self
                    .file
                    .profiles
                    .iter_mut()
                    .find(|p| p.name == old)
                    .ok_or_else(|| Error::ProfileNotFound(old.to_string()))?;
                *slot = stored;
                if self.file.active == old {
                    self.file.active = profile.name.clone();
                }
            }
        }
        self.write()?;
        Ok(profile)
    }

    pub fn remove(&mut self, name: &str) -> Result<()> {
        if name == DEMO {
            return Err(Error::DemoProfileReadOnly("deleted"));
        }
        let before = self.file.profiles.len();
        self.file.profiles.retain(|p| p.name != name);
        if self.file.profiles.len() == before {
            return Err(Error::ProfileNotFound(name.to_string()));
        }
        if self.file.active == name {
            self.file.active = demo_name();
        }
        self.write()
    }

    pub fn set_active(&mut self, name: &str) -> Result<Profile> {
        let profile = self.get(name)?;
        self.file.active = profile.name.clone();
        self.write()?;
        Ok(profile)
    }

    /// Writes atomically: a crash never leaves a half-written profiles file.
    fn write(&self) -> Result<()> {
        let text = toml::to_string_pretty(&self.file)
            .map_err(|e| Error::Internal(format!("cannot encode profiles: {e}")))?;
        let dir = self
            .path
            .parent()
            .ok_or_else(|| Error::Internal("profiles file has no folder".into()))?;
        crate::private_files::private_dir(dir)
            .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)
            .map_err(|e| Error::io(format!("cannot write in {}", dir.display()), e))?;
        std::io::Write::write_all(&mut tmp, text.as_bytes())
            .map_err(|e| Error::io("cannot write profiles", e))?;
        tmp.persist(&self.path)
            .map_err(|e| Error::io(format!("cannot replace {}", self.path.display()), e.error))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> CloudSettings {
        CloudSettings {
            aws_profile: None,
            region: "eu-west-1".into(),
            endpoint_url: Some("http://127.0.0.1:9000".into()),
            force_path_style: true,
            allow_insecure_http: false,
            media_bucket: "media-bucket".into(),
            events_bucket: "events-bucket".into(),
            topic_arn: Some("arn:aws:sns:eu-west-1:123456789012:campaigns".into()),
            image_function_url: None,
        }
    }

    #[test]
    fn a_fresh_home_has_only_demo_active() {
        let dir = tempfile::tempdir().unwrap();
        let book = ProfileBook::load(&AppHome::new(dir.path())).unwrap();
        assert_eq!(book.list(), vec![Profile::demo()]);
        assert!(book.active().is_demo());
    }

    #[test]
    fn add_switch_rename_remove_persist_across_loads() {
        let dir = tempfile::tempdir().unwrap();
        let home = AppHome::new(dir.path());
        let mut book = ProfileBook::load(&home).unwrap();
        book.save(None, Profile::cloud("staging", settings()))
            .unwrap();
        book.set_active("staging").unwrap();

        let mut book = ProfileBook::load(&home).unwrap();
        assert_eq!(book.active().name, "staging");
        book.save(Some("staging"), Profile::cloud("prod", settings()))
            .unwrap();
        assert_eq!(
            ProfileBook::load(&home).unwrap().active().name,
            "prod",
            "rename keeps it active"
        );

        book.remove("prod").unwrap();
        let book = ProfileBook::load(&home).unwrap();
        assert!(
            book.active().is_demo(),
            "removing the active profile falls back to demo"
        );
        assert_eq!(book.list().len(), 1);
        let text = std::fs::read_to_string(home.profiles_file()).unwrap();
        assert!(!text.to_lowercase().contains("secret"));
    }

    #[test]
    fn refuses_duplicates_and_demo_changes() {
        let dir = tempfile::tempdir().unwrap();
        let mut book = ProfileBook::load(&AppHome::new(dir.path())).unwrap();
        book.save(None, Profile::cloud("a", settings())).unwrap();
        let dup = book
            .save(None, Profile::cloud("a", settings()))
            .unwrap_err();
        assert_eq!(dup.code(), "profile_exists");
        assert_eq!(
            book.save(None, Profile::cloud("demo", settings()))
                .unwrap_err()
                .code(),
            "profile_exists"
        );
        assert_eq!(book.remove("demo").unwrap_err().code(), "demo_read_only");
        assert_eq!(
            book.set_active("nope").unwrap_err().code(),
            "profile_not_found"
        );
    }

    #[test]
    fn validation_names_the_bad_field() {
        let cases = [
            ("Bad Name", settings(), "name"),
            (
                "ok",
                CloudSettings {
                    region: "EU WEST".into(),
                    ..settings()
                },
                "region",
            ),
            (
                "ok",
                CloudSettings {
                    endpoint_url: Some("localhost:9000".into()),
                    ..settings()
                },
                "endpoint URL",
            ),
            (
                "ok",
                CloudSettings {
                    media_bucket: "My_Bucket".into(),
                    ..settings()
                },
                "media bucket",
            ),
            (
                "ok",
                CloudSettings {
                    events_bucket: "ab".into(),
                    ..settings()
                },
                "events bucket",
            ),
            (
                "ok",
                CloudSettings {
                    topic_arn: Some("campaigns".into()),
                    ..settings()
                },
                "topic ARN",
            ),
        ];
        for (name, s, field) in cases {
            let err = Profile::cloud(name, s).validated().unwrap_err();
            assert_eq!(err.code(), "invalid_profile");
            assert!(
                err.to_string().contains(field),
                "{err} should mention {field}"
            );
        }
    }

    #[test]
    fn the_image_function_url_is_trimmed_checked_and_defaults_in_demo() {
        let url = Profile::cloud(
            "cdn",
            CloudSettings {
                image_function_url: Some(" https://img.example.com/ ".into()),
                ..settings()
            },
        )
        .validated()
        .unwrap();
        assert_eq!(url.image_function_url(), Some("https://img.example.com"));
        assert_eq!(
            Profile::demo().image_function_url(),
            Some("http://127.0.0.1:8787")
        );
        let bad = Profile::cloud(
            "cdn",
            CloudSettings {
                image_function_url: Some("img.example.com".into()),
                ..settings()
            },
        );
        assert!(bad
            .validated()
            .unwrap_err()
            .to_string()
            .contains("image function URL"));
    }

    fn endpoint(url: &str, allow_insecure_http: bool) -> Result<Profile> {
        Profile::cloud(
            "s3",
            CloudSettings {
                endpoint_url: Some(url.into()),
                allow_insecure_http,
                ..settings()
            },
        )
        .validated()
    }

    #[test]
    fn an_endpoint_never_carries_credentials() {
        for url in [
            "https://user:pass@minio.example.com",
            "http://admin:s3cret@127.0.0.1:9000/",
            "https://token@s3.example.com/path",
        ] {
            let err = endpoint(url, true).unwrap_err();
            assert_eq!(err.code(), "invalid_profile");
            let message = err.to_string();
            assert!(message.contains("user name or password"), "{message}");
            assert!(
                !message.contains(":pass@")
                    && !message.contains("s3cret")
                    && !message.contains("token@"),
                "the secret is not repeated: {message}"
            );
        }
    }

    #[test]
    fn a_stored_endpoint_with_credentials_is_shown_without_them() {
        let s = CloudSettings {
            endpoint_url: Some("https://user:pass@minio.example.com/x@y".into()),
            ..settings()
        };
        assert_eq!(
            s.endpoint_for_display().as_deref(),
            Some("https://minio.example.com/x@y")
        );
        assert_eq!(
            crate::cloud::endpoint_label(&s),
            "https://minio.example.com/x@y",
            "`stratus profile list` and connection errors show it so"
        );
    }

    #[test]
    fn plain_http_is_only_for_this_computer_unless_allowed() {
        for url in [
            "http://127.0.0.1:9000",
            "http://localhost:4566",
            "http://[::1]:9000",
            "https://minio.example.com",
        ] {
            assert!(endpoint(url, false).is_ok(), "{url}");
        }
        for url in [
            "http://minio.lan:9000",
            "http://10.0.0.5",
            "http://127.0.0.1.evil.com",
        ] {
            let err = endpoint(url, false).unwrap_err();
            assert!(err.to_string().contains("unencrypted"), "{url}: {err}");
            assert!(endpoint(url, true).is_ok(), "allowed explicitly: {url}");
        }
    }

    #[test]
    fn blank_optional_fields_become_none() {
        let s = CloudSettings {
            aws_profile: Some("  ".into()),
            endpoint_url: Some(String::new()),
            topic_arn: Some(" ".into()),
            ..settings()
        };
        let p = Profile::cloud("x", s).validated().unwrap();
        let ProfileKind::Cloud(c) = p.kind else {
            panic!("cloud")
        };
        assert_eq!(
            (c.aws_profile, c.endpoint_url, c.topic_arn),
            (None, None, None)
        );
    }

    #[test]
    fn a_corrupt_file_is_a_typed_error() {
        let dir = tempfile::tempdir().unwrap();
        let home = AppHome::new(dir.path());
        std::fs::write(home.profiles_file(), "active = [").unwrap();
        let err = ProfileBook::load(&home).unwrap_err();
        assert_eq!(err.code(), "config_corrupt");
        assert!(err.to_string().contains("profiles.toml"));
    }
}
