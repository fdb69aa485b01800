//! Secrets out of what is shown: URLs without credentials, query or
//! fragment, for logs, errors and `Debug` output.

/// `https://user:pass@host:8443/v1?key=x#f` → `https://host:8443/v1`.
pub fn url(raw: &str) -> String {
    let cut = raw.find(['?', '#']).unwrap_or(raw.len());
    let base = &raw[..cut];
    match base.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            format!("{scheme}://{host}{path}")
        }
        None => base.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_query_and_fragment_are_dropped() {
        assert_eq!(
            url("https://user:pa@ss@api.example.com:8443/v1/x?access_token=abc#y"),
            "https://api.example.com:8443/v1/x"
        );
        assert_eq!(
            url("http://localhost:11434/v1"),
            "http://localhost:11434/v1"
        );
        assert_eq!(url("not a url?k=v"), "not a url");
    }
}
