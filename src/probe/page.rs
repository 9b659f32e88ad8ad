//! Reading which version (and which instance) answered, from an untrusted
//! page: the tutorial's markup by default (`application version: N`,
//! `instance-id: i-…`), or the first group of a pattern the user gives, or
//! a response header. Only cleaned, length-capped text is kept.

use regex_lite::Regex;

use crate::domain::clean;

/// How much of a body is read for the version (the tutorial's page is tiny).
pub const MAX_BODY: usize = 64 * 1024;

/// How to read the version and the instance, as the command line says
/// (each `None`: the tutorial's page).
#[derive(Debug, Clone, Default)]
pub struct Patterns {
    /// A pattern whose first group is the version.
    pub version_regex: Option<String>,
    /// A pattern whose first group is the instance.
    pub instance_regex: Option<String>,
    /// The version is this response header's value.
    pub version_header: Option<String>,
}

impl Patterns {
    /// The reader they describe; a bad pattern or header name is one line
    /// with a hint.
    pub fn reader(&self) -> Result<Reader, String> {
        Reader::new(self.version_regex.as_deref(), self.instance_regex.as_deref(), self.version_header.as_deref())
    }
}

/// Where the version and the instance are read from.
#[derive(Debug, Clone)]
pub struct Reader {
    version: Source,
    instance: Source,
}

#[derive(Debug, Clone)]
enum Source {
    /// The first capture group of a pattern over the body.
    Pattern(Regex),
    /// A response header's value.
    Header(String),
}

impl Default for Reader {
    /// The tutorial's page.
    fn default() -> Self {
        Self {
            version: Source::Pattern(Regex::new(r"application version:\s*([^<\s]+)").expect("a valid pattern")),
            instance: Source::Pattern(Regex::new(r"instance-id:\s*([^<\s]+)").expect("a valid pattern")),
        }
    }
}

impl Reader {
    /// The tutorial's page, with the version and instance patterns or
    /// headers replaced where given. A pattern must have one capture group.
    pub fn new(
        version_regex: Option<&str>,
        instance_regex: Option<&str>,
        version_header: Option<&str>,
    ) -> Result<Self, String> {
        let mut reader = Self::default();
        if let Some(p) = version_regex {
            reader.version = Source::Pattern(pattern("--version-regex", p)?);
        }
        if let Some(p) = instance_regex {
            reader.instance = Source::Pattern(pattern("--instance-regex", p)?);
        }
        if let Some(h) = version_header {
            if h.is_empty() || !h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                return Err(format!(
                    "--version-header '{}' is not a header name (hint: --version-header X-App-Version)",
                    clean(h, 40)
                ));
            }
            reader.version = Source::Header(h.to_ascii_lowercase());
        }
        Ok(reader)
    }

    /// The version and instance a response names, cleaned and capped.
    pub fn read(&self, headers: &hyper::HeaderMap, body: &str) -> (Option<String>, Option<String>) {
        let version = self.version.find(headers, body, 32).map(|v| {
            // The tutorial prints a bare number: show it as v2.
            if v.chars().all(|c| c.is_ascii_digit()) { format!("v{v}") } else { v }
        });
        (version, self.instance.find(headers, body, 40))
    }
}

impl Source {
    fn find(&self, headers: &hyper::HeaderMap, body: &str, max: usize) -> Option<String> {
        let raw = match self {
            Self::Pattern(re) => re.captures(body)?.get(1)?.as_str().to_string(),
            Self::Header(name) => String::from_utf8_lossy(headers.get(name.as_str())?.as_bytes()).into_owned(),
        };
        let value = clean(&raw, max);
        (!value.is_empty()).then_some(value)
    }
}

fn pattern(flag: &str, p: &str) -> Result<Regex, String> {
    let shown = clean(p, 60);
    let re = Regex::new(p).map_err(|e| {
        format!("{flag} '{shown}' is not a pattern: {} (hint: {flag} 'version: ([0-9.]+)')", clean(&e.to_string(), 120))
    })?;
    if re.captures_len() < 2 {
        return Err(format!("{flag} '{shown}' has no group to read (hint: put the version in parentheses)"));
    }
    Ok(re)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> hyper::HeaderMap {
        hyper::HeaderMap::new()
    }

    #[test]
    fn reads_the_tutorial_page() {
        let page = "<h1>application version: 2</h1><h1>instance-id: i-0abc</h1><h1>local-ipv4: 10.200.11.5</h1>";
        assert_eq!(Reader::default().read(&none(), page), (Some("v2".into()), Some("i-0abc".into())));
        assert_eq!(Reader::default().read(&none(), "It works!"), (None, None));
    }

    #[test]
    fn untrusted_text_is_cleaned_and_capped() {
        let page = "<h1>application version: \u{1b}[2J9\u{7}</h1><h1>instance-id: i-0123456789abcdef0123456789abcdef0123456789</h1>";
        let (v, i) = Reader::default().read(&none(), page);
        assert_eq!(v.as_deref(), Some("[2J9"), "escape and bell gone");
        assert!(i.unwrap().chars().count() <= 41);
    }

    #[test]
    fn other_pages_by_pattern_or_header() {
        let r = Reader::new(Some(r#""version":"([^"]+)""#), Some(r#""host":"([^"]+)""#), None).unwrap();
        assert_eq!(
            r.read(&none(), r#"{"version":"1.4.2","host":"web-7"}"#),
            (Some("1.4.2".into()), Some("web-7".into()))
        );
        let r = Reader::new(None, None, Some("X-App-Version")).unwrap();
        let mut h = hyper::HeaderMap::new();
        h.insert("x-app-version", "3".parse().unwrap());
        assert_eq!(r.read(&h, "anything").0.as_deref(), Some("v3"));
        assert!(Reader::new(Some("version"), None, None).unwrap_err().contains("no group"));
        assert!(Reader::new(Some("(unclosed"), None, None).unwrap_err().contains("is not a pattern"));
        assert!(Reader::new(None, None, Some("bad header")).is_err());
    }
}
