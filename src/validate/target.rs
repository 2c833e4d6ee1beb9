//! Semantic rules for `target:`: the URL, and that a NetworkPolicy can let load reach it.

use super::Ctx;
use crate::diag::{Diagnostic, codes};
use crate::model::{self, Egress, Peer};
use crate::spec::{AllowRule, Target};
use ipnet::IpNet;
use std::net::IpAddr;
use url::{Host, Url};

use crate::diag::Code;

/// Where the test's pods send traffic: the target (load) or a metrics endpoint.
/// Both become NetworkPolicy egress rules, so both get the same checks, each with
/// its own diagnostic codes and words.
pub(super) struct Endpoint {
    /// The plan key holding `url` and `allow`.
    pub base: &'static str,
    /// What flows there, for messages: "load", "metrics".
    pub noun: &'static str,
    pub schemes: &'static [&'static str],
    /// The port of a URL without one whose scheme has no known default.
    pub default_port: Option<u16>,
    pub example: &'static str,
    /// Help for a URL with credentials in it.
    pub credentials_help: &'static str,
    pub url_code: Code,
    pub not_allowed_code: Code,
    pub allow_code: Code,
    pub port_code: Code,
}

const TARGET: Endpoint = Endpoint {
    base: "target",
    noun: "load",
    schemes: &["http", "https", "ws", "wss"],
    default_port: None,
    example: "https://shop.staging.example.com",
    credentials_help: "credentials in a URL would be written into the manifests; remove them and read them in the script from a Secret",
    url_code: codes::TARGET_URL,
    not_allowed_code: codes::TARGET_NOT_ALLOWED,
    allow_code: codes::TARGET_ALLOW,
    port_code: codes::TARGET_PORT_NOT_ALLOWED,
};

pub(super) fn check(ctx: &mut Ctx, target: &Target, restricted: bool) -> Option<model::Target> {
    let (url, port, egress) = endpoint(ctx, &TARGET, &target.url, &target.allow, restricted)?;
    Some(model::Target { url, port, egress })
}

/// An endpoint's URL and its egress rules: the `allow` entries, plus the URL's own
/// address when its host is an IP literal.
pub(super) fn endpoint(
    ctx: &mut Ctx,
    e: &Endpoint,
    url_text: &str,
    allow: &[AllowRule],
    restricted: bool,
) -> Option<(Url, u16, Vec<Egress>)> {
    let url = url(ctx, e, url_text);
    let mut rules = Vec::new();
    let mut ok = true;
    for (i, rule) in allow.iter().enumerate() {
        match allow_rule(ctx, e, i, rule) {
            Some(r) => rules.push(r),
            None => ok = false,
        }
    }
    let url = url?;
    let port = url.port_or_known_default().or(e.default_port)?;
    let ip = match url.host() {
        Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        // Non-special schemes (`tcp://`) leave an IPv4 address as a domain.
        Some(Host::Domain(d)) => d.parse().ok(),
        None => None,
    };
    if ip.is_none() && allow.is_empty() {
        let host = url.host_str().unwrap_or_default();
        ctx.push(
            Diagnostic::error(e.not_allowed_code, ctx.span(&[e.base, "url"]), format!("nothing allows {} to reach `{host}`", e.noun))
                .label("host name without an `allow` entry")
                .help(format!(
                    "a NetworkPolicy matches IP blocks and pod selectors, never host names, so say where `{host}` lives \
                     in `{}.allow`: `[{{cidr: 10.20.0.0/16}}]` for addresses outside the cluster, or \
                     `[{{namespace: shop, podSelector: {{matchLabels: {{app: checkout}}}}}}]` for a Service in the cluster",
                    e.base
                )),
        );
        ok = false;
    }
    let egress: Vec<Egress> = ip
        .map(|ip| Egress {
            peer: Peer::Cidr {
                cidr: IpNet::from(ip),
                except: vec![],
            },
            ports: vec![port],
        })
        .into_iter()
        .chain(rules.into_iter().map(|(peer, ports)| Egress {
            peer,
            ports: if ports.is_empty() { vec![port] } else { ports },
        }))
        .collect();
    if !allow.is_empty()
        && ip.is_none()
        && allow
            .iter()
            .all(|r| !r.ports.is_empty() && !r.ports.contains(&port))
    {
        ctx.push(
            Diagnostic::error(e.port_code, ctx.span(&[e.base, "url"]), format!("the {} port {port} is not allowed by any `allow` entry", e.base))
                .label(format!("port {port}"))
                .help(format!("add {port} to the `ports` of the entry that covers the {}, or drop `ports` to default to {port}", e.base)),
        );
        ok = false;
    }
    ok &= destinations(ctx, e, &egress, restricted);
    ok.then_some((url, port, egress))
}

/// Address ranges no load or metrics should be allowed to, and why.
const UNSAFE_RANGES: &[(&str, &str)] = &[
    (
        "169.254.0.0/16",
        "link-local, where clouds serve instance metadata and credentials (169.254.169.254)",
    ),
    ("fe80::/10", "IPv6 link-local"),
    ("fd00:ec2::254/128", "the AWS IPv6 instance metadata service"),
    ("0.0.0.0/8", "`this network`, not a destination"),
];

/// Refuse (under `restricted`; warn otherwise) egress to the cloud metadata range or
/// to every address, and warn about loopback (a pod's loopback is the pod itself).
/// The URL's own host is covered too: `http://2852039166/` is 169.254.169.254.
fn destinations(ctx: &mut Ctx, e: &Endpoint, egress: &[Egress], restricted: bool) -> bool {
    let mut ok = true;
    for (i, rule) in egress.iter().enumerate() {
        let Peer::Cidr { cidr, except } = &rule.peer else {
            continue;
        };
        let unsafe_range = UNSAFE_RANGES.iter().find(|(range, _)| {
            let range: IpNet = range.parse().expect("a valid constant");
            // Overlapping a range, unless `except` carves exactly that range out.
            (range.contains(cidr) || cidr.contains(&range)) && !except.iter().any(|x| x.contains(&range))
        });
        let why = match unsafe_range {
            _ if cidr.prefix_len() == 0 => format!("`{cidr}` is every address, the internet included"),
            Some((range, why)) => format!("`{cidr}` reaches {range}: {why}"),
            None if cidr.addr().is_loopback() => {
                ctx.push(
                    Diagnostic::warning(
                        codes::NETWORK_UNSAFE_DESTINATION,
                        allow_span(ctx, e, egress, i),
                        format!("`{cidr}` is loopback: inside a pod that is the pod itself"),
                    )
                    .label("loopback")
                    .help(format!("name the {}'s real address", e.base)),
                );
                continue;
            }
            None => continue,
        };
        let span = allow_span(ctx, e, egress, i);
        let help = format!(
            "allow only the {}'s own addresses{}",
            e.base,
            if restricted {
                "; if this is really meant, set `security.posture: baseline` so the plan says so"
            } else {
                ""
            }
        );
        let d = if restricted {
            ok = false;
            Diagnostic::error(
                codes::NETWORK_UNSAFE_DESTINATION,
                span,
                format!("{why}; `posture: restricted` does not send {} there", e.noun),
            )
        } else {
            Diagnostic::warning(codes::NETWORK_UNSAFE_DESTINATION, span, why)
        };
        ctx.push(d.label("unsafe destination").help(help));
    }
    ok
}

/// Where egress rule `i` came from: the URL (its own IP comes first) or an `allow` entry.
fn allow_span(ctx: &Ctx, e: &Endpoint, egress: &[Egress], i: usize) -> crate::diag::Span {
    // With an IP host the first rule is the URL's own address, then the allow entries.
    let from_url = egress.len() > ctx_allow_len(ctx, e);
    match (from_url, i) {
        (true, 0) => ctx.span(&[e.base, "url"]),
        (true, i) => ctx.span(&[e.base, "allow", &(i - 1).to_string()]),
        (false, i) => ctx.span(&[e.base, "allow", &i.to_string()]),
    }
}

fn ctx_allow_len(ctx: &Ctx, e: &Endpoint) -> usize {
    ctx.count(&[e.base, "allow"])
}

fn url(ctx: &mut Ctx, e: &Endpoint, text: &str) -> Option<Url> {
    let span = ctx.span(&[e.base, "url"]);
    let fail = |ctx: &mut Ctx, message: String, help: String| {
        ctx.push(
            Diagnostic::error(e.url_code, span, message)
                .label(format!("invalid {} URL", e.base))
                .help(help),
        );
        None
    };
    let example = format!("write an absolute URL such as `{}`", e.example);
    // The URL parser drops surrounding spaces and tabs or newlines inside: the URL
    // that would run is not the one written.
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return fail(
            ctx,
            format!("the {} URL `{}` contains whitespace", e.base, text.escape_debug()),
            "remove the spaces; a space inside a path is written `%20`".to_owned(),
        );
    }
    let url = match Url::parse(text) {
        Ok(url) => url,
        Err(err) => return fail(ctx, format!("`{text}` is not a URL: {err}"), example),
    };
    if !e.schemes.contains(&url.scheme()) {
        return fail(
            ctx,
            format!("URL scheme `{}` is not supported here", url.scheme()),
            format!("use {}", e.schemes.join(", ")),
        );
    }
    if url.host_str().is_none_or(str::is_empty) {
        return fail(ctx, format!("`{text}` has no host"), example);
    }
    if url.port() == Some(0) {
        // A NetworkPolicy with port 0 is refused by the API server, and nothing listens there.
        return fail(
            ctx,
            format!("the {} URL's port 0 is not a port", e.base),
            format!(
                "give the port the service listens on (1 to 65535), or none for the scheme's default: {example}"
            ),
        );
    }
    if !url.username().is_empty() || url.password().is_some() {
        return fail(
            ctx,
            format!("the {} URL contains credentials", e.base),
            e.credentials_help.to_owned(),
        );
    }
    Some(url)
}

/// One `allow` entry → its peer and ports.
pub(super) fn allow_rule(
    ctx: &mut Ctx,
    e: &Endpoint,
    i: usize,
    rule: &AllowRule,
) -> Option<(Peer, Vec<u16>)> {
    let index = i.to_string();
    let path = [e.base, "allow", index.as_str()];
    let err = |ctx: &mut Ctx, field: &str, message: String, help: &str| {
        let span = if field.is_empty() {
            ctx.span(&path)
        } else {
            ctx.span(&[path[0], path[1], path[2], field])
        };
        ctx.push(
            Diagnostic::error(e.allow_code, span, message)
                .label("invalid allow entry")
                .help(help.to_owned()),
        );
    };
    let selects =
        rule.namespace.is_some() || rule.namespace_selector.is_some() || rule.pod_selector.is_some();
    if rule.ports.contains(&0) {
        err(
            ctx,
            "ports",
            "port 0 is not a port".to_owned(),
            "use TCP ports from 1 to 65535",
        );
        return None;
    }
    match (&rule.cidr, selects) {
        (Some(_), true) => {
            err(
                ctx,
                "",
                "an allow entry has both `cidr` and selectors".to_owned(),
                "split it into two entries: one with `cidr`, one with `namespace`/`podSelector`",
            );
            None
        }
        (None, false) => {
            err(
                ctx,
                "",
                "an allow entry names no destination".to_owned(),
                "give it a `cidr`, or a `namespace`, `namespaceSelector` or `podSelector`",
            );
            None
        }
        (Some(cidr), false) => {
            let parsed = cidr_value(ctx, e, &path, "cidr", cidr)?;
            let mut except = Vec::new();
            for (j, except_text) in rule.except.iter().enumerate() {
                let j = j.to_string();
                let Some(net) = ctx_cidr(ctx, e, &[path[0], path[1], path[2], "except", &j], except_text)
                else {
                    continue;
                };
                if !parsed.contains(&net) || net == parsed {
                    err(
                        ctx,
                        "except",
                        format!("`{except_text}` is not strictly inside `{cidr}`"),
                        "an `except` block must be a smaller block inside `cidr`",
                    );
                    return None;
                }
                except.push(net);
            }
            (except.len() == rule.except.len()).then_some((
                Peer::Cidr {
                    cidr: parsed.trunc(),
                    except,
                },
                rule.ports.clone(),
            ))
        }
        (None, true) => {
            if !rule.except.is_empty() {
                err(
                    ctx,
                    "except",
                    "`except` only applies to `cidr`".to_owned(),
                    "remove `except`",
                );
                return None;
            }
            if rule.namespace.is_some() && rule.namespace_selector.is_some() {
                err(
                    ctx,
                    "namespace",
                    "`namespace` and `namespaceSelector` are both set".to_owned(),
                    "`namespace: x` is shorthand for a namespaceSelector; keep one",
                );
                return None;
            }
            let mut ok = true;
            for (field, selector) in [
                ("namespaceSelector", &rule.namespace_selector),
                ("podSelector", &rule.pod_selector),
            ] {
                if let Some(s) = selector {
                    ok &= super::rules::labels(
                        ctx,
                        &[path[0], path[1], path[2], field, "matchLabels"],
                        &s.match_labels,
                        false,
                    );
                }
            }
            let namespace_labels = match (&rule.namespace, &rule.namespace_selector) {
                (Some(ns), _) => Some([("kubernetes.io/metadata.name".to_owned(), ns.clone())].into()),
                (None, Some(s)) => Some(s.match_labels.clone()),
                (None, None) => None,
            };
            ok.then(|| {
                (
                    Peer::Pods {
                        namespace_labels,
                        pod_labels: rule.pod_selector.as_ref().map(|s| s.match_labels.clone()),
                    },
                    rule.ports.clone(),
                )
            })
        }
    }
}

fn cidr_value(ctx: &mut Ctx, e: &Endpoint, path: &[&str], field: &str, text: &str) -> Option<IpNet> {
    let full: Vec<&str> = path.iter().copied().chain([field]).collect();
    ctx_cidr(ctx, e, &full, text)
}

fn ctx_cidr(ctx: &mut Ctx, e: &Endpoint, path: &[&str], text: &str) -> Option<IpNet> {
    match text.parse::<IpNet>() {
        Ok(net) if net != net.trunc() => {
            ctx.push(
                Diagnostic::error(
                    e.allow_code,
                    ctx.span(path),
                    format!("`{text}` has host bits set: as a block it is `{}`", net.trunc()),
                )
                .label("host bits set")
                .help(format!(
                    "write `{}` for the whole block, or `{}` for that one address",
                    net.trunc(),
                    IpNet::from(net.addr())
                )),
            );
            None
        }
        Ok(net) => Some(net),
        Err(_) => {
            let help = match text.parse::<IpAddr>() {
                Ok(ip) => format!(
                    "a single address is written with a prefix length: `{}`",
                    IpNet::from(ip)
                ),
                Err(_) => "write an IP block in CIDR notation, e.g. `10.20.0.0/16`".to_owned(),
            };
            ctx.push(
                Diagnostic::error(
                    e.allow_code,
                    ctx.span(path),
                    format!("`{text}` is not a CIDR block"),
                )
                .label("invalid CIDR")
                .help(help),
            );
            None
        }
    }
}
