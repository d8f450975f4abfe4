//! `GET /console/`: the operator console, a static single-page app embedded in the binary.
//! Its sources are in `console/`; `npm run build --prefix console` bundles them into
//! `console/dist/`, which is committed and included here byte for byte (docs/console.md).
//!
//! The console is only a client of the control API: the browser signs its requests with the
//! access key the operator enters, exactly as boto3 would, and posts them to the API's own
//! path. So these routes answer without authentication and grant nothing; what they serve is
//! public code. The Content-Security-Policy lets the page load its own files and talk to this
//! origin only, and never be framed.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// What the page may load and where it may connect: its own files and this origin's API;
/// no inline script or style, no plugins, no framing, no forms posted anywhere.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; \
    form-action 'none'; frame-ancestors 'none'";

/// One embedded file of `console/dist/`.
struct Asset {
    /// Its name under `/console/`.
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

/// The built console. The page is `index.html`; every file it loads is here too.
const ASSETS: [Asset; 5] = [
    Asset {
        name: "index.html",
        content_type: "text/html; charset=utf-8",
        body: include_bytes!("../../console/dist/index.html"),
    },
    Asset {
        name: "console.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../console/dist/console.js"),
    },
    Asset {
        name: "console.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../console/dist/console.css"),
    },
    Asset {
        name: "icon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../../console/dist/icon.svg"),
    },
    Asset {
        name: "licenses.txt",
        content_type: "text/plain; charset=utf-8",
        body: include_bytes!("../../console/dist/licenses.txt"),
    },
];

/// Each asset's entity tag, a digest of its bytes, computed on first use. The files change
/// only with the binary, so browsers revalidate (`no-cache`) and mostly get 304s.
static ETAGS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| {
            let digest = Sha256::digest(asset.body);
            let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
            format!("\"{hex}\"")
        })
        .collect()
});

/// `GET /console`: to `/console/`, so that the page's relative URLs resolve under it.
pub(super) async fn redirect() -> Response {
    let mut response = StatusCode::PERMANENT_REDIRECT.into_response();
    // Relative, so that it holds behind a proxy that serves the API under a path prefix.
    response
        .headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static("console/"));
    response
}

/// `GET /console/`: the page.
pub(super) async fn index(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

/// `GET /console/<name>`: one of the page's files, or 404.
pub(super) async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    serve(&name, &headers)
}

fn serve(name: &str, request: &HeaderMap) -> Response {
    let Some(index) = ASSETS.iter().position(|asset| asset.name == name) else {
        let mut response = (StatusCode::NOT_FOUND, "no such file in the console\n").into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        secure(response.headers_mut());
        return response;
    };
    let asset = &ASSETS[index];
    let etag = &ETAGS[index];
    let mut response = if matches(request, etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = asset.body.into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        );
        response
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    secure(headers);
    response
}

/// Whether `If-None-Match` names `etag` (or `*`): the browser's copy is current.
fn matches(request: &HeaderMap, etag: &str) -> bool {
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}

/// The headers every console response carries, found or not.
fn secure(headers: &mut HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_the_page_names_is_embedded() {
        let page = std::str::from_utf8(ASSETS[0].body).expect("the page is UTF-8");
        for name in ["console.js", "console.css", "icon.svg", "licenses.txt"] {
            assert!(page.contains(&format!("\"{name}\"")), "{name} in the page");
            assert!(ASSETS.iter().any(|a| a.name == name), "{name} embedded");
        }
    }

    #[test]
    fn entity_tags_differ_by_content_and_match_by_list_or_star() {
        let tags: std::collections::BTreeSet<&String> = ETAGS.iter().collect();
        assert_eq!(tags.len(), ASSETS.len());
        let mut request = HeaderMap::new();
        let listed = format!("\"other\", W/{}", ETAGS[1]);
        request.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&listed).expect("ascii"),
        );
        assert!(matches(&request, &ETAGS[1]));
        assert!(!matches(&request, &ETAGS[0]));
        request.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(matches(&request, &ETAGS[2]));
        assert!(!matches(&HeaderMap::new(), &ETAGS[2]));
    }
}
