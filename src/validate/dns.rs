//! `dns.allow`: where the test's pods may send DNS lookups, checked like
//! `target.allow` (same entry shapes and errors). The unsafe-destination rule is
//! narrower than for load: NodeLocal DNSCache listens on a link-local address
//! (169.254.20.10), so link-local is allowed, but never a block holding the cloud
//! metadata address or every address.

use super::Ctx;
use super::target::{Endpoint, allow_rule};
use crate::diag::{Diagnostic, codes};
use crate::model::{Egress, Peer};
use crate::spec::Dns;
use ipnet::IpNet;

/// The DNS port when an entry names none.
const DNS_PORT: u16 = 53;

/// Instance metadata on AWS, GCP, Azure and most clouds: a pod reaching it may read
/// the node's credentials.
const METADATA: &str = "169.254.169.254/32";

const DNS: Endpoint = Endpoint {
    base: "dns",
    noun: "DNS lookups",
    schemes: &[],
    default_port: Some(DNS_PORT),
    example: "",
    credentials_help: "",
    url_code: codes::DNS_ALLOW,
    not_allowed_code: codes::DNS_ALLOW,
    allow_code: codes::DNS_ALLOW,
    port_code: codes::DNS_ALLOW,
};

/// The plan's DNS egress rules; empty (the kube-dns default) without `dns`.
pub fn check(ctx: &mut Ctx, dns: Option<&Dns>) -> Option<Vec<Egress>> {
    let Some(dns) = dns else {
        return Some(Vec::new());
    };
    let metadata: IpNet = METADATA.parse().expect("a valid constant");
    let mut out = Vec::new();
    let mut ok = true;
    for (i, rule) in dns.allow.iter().enumerate() {
        let Some((peer, ports)) = allow_rule(ctx, &DNS, i, rule) else {
            ok = false;
            continue;
        };
        if let Peer::Cidr { cidr, except } = &peer {
            let every = cidr.prefix_len() == 0;
            let reaches_metadata = cidr.contains(&metadata) && !except.iter().any(|x| x.contains(&metadata));
            if every || reaches_metadata {
                let why = if every {
                    "every address".to_owned()
                } else {
                    "169.254.169.254, the cloud metadata service".to_owned()
                };
                ctx.push(
                    Diagnostic::error(
                        codes::DNS_ALLOW,
                        ctx.span(&["dns", "allow", &i.to_string(), "cidr"]),
                        format!("`{cidr}` reaches {why}"),
                    )
                    .label("not a DNS server")
                    .help("allow only the DNS servers' addresses, e.g. `169.254.20.10/32` for NodeLocal DNSCache"),
                );
                ok = false;
                continue;
            }
        }
        let ports = if ports.is_empty() { vec![DNS_PORT] } else { ports };
        out.push(Egress { peer, ports });
    }
    ok.then_some(out)
}
