//! What a failed API call means, said so that the user knows what to do: a 403 names
//! the verb, the resource and the context to check with `kubectl auth can-i`; a 422
//! is cut to its fields; a refused connection and a hung server are told apart.

use super::client::Conn;
use kube::api::ApiResource;
use std::io::ErrorKind;

/// What a call was doing, for its error message.
pub(super) struct Doing<'a> {
    pub verb: &'static str,
    pub ar: &'a ApiResource,
    /// Empty for a cluster-scoped resource.
    pub namespace: &'a str,
    pub name: Option<&'a str>,
    pub conn: &'a Conn,
}

impl Doing<'_> {
    pub fn resource(&self) -> String {
        if self.ar.group.is_empty() {
            self.ar.plural.clone()
        } else {
            format!("{}.{}", self.ar.plural, self.ar.group)
        }
    }

    /// Where: `in namespace `ns``, or for a cluster-scoped resource the object's
    /// name (`cluster-wide` for a list).
    fn place(&self) -> String {
        match (self.namespace.is_empty(), self.name) {
            (false, _) => format!("in namespace `{}`", self.namespace),
            (true, Some(name)) => format!("`{name}`"),
            (true, None) => "cluster-wide".to_owned(),
        }
    }

    /// `kubectl auth can-i` for this call, as the user perfplan connected as.
    pub fn can_i(&self) -> String {
        let ns = if self.namespace.is_empty() {
            String::new()
        } else {
            format!(" -n {}", self.namespace)
        };
        let context = self
            .conn
            .context
            .as_ref()
            .map(|c| format!(" --context {c}"))
            .unwrap_or_default();
        // A cluster-scoped object by name (`namespaces/perf-testing`): RBAC may grant
        // a namespace's own object to a user of that namespace.
        let what = match (self.namespace.is_empty(), self.name) {
            (true, Some(name)) => format!("{}/{name}", self.resource()),
            _ => self.resource(),
        };
        format!("kubectl auth can-i {} {what}{ns}{context}", self.verb)
    }

    pub fn explain(&self, e: kube::Error) -> String {
        let (verb, resource, server) = (self.verb, self.resource(), &self.conn.server);
        let object = self.name.map(|n| format!(" `{n}`")).unwrap_or_default();
        match e {
            kube::Error::Api(status) => match status.code {
                401 => format!(
                    "the API server at {server} rejected the credentials (401 Unauthorized): log in again or \
                     refresh the token of your kubeconfig user"
                ),
                403 => format!(
                    "permission denied (403): perfplan needs `{verb}` on `{resource}` {}. The server said: {}. \
                     Ask for a Role that grants it; `{}` checks",
                    self.place(),
                    status.message,
                    self.can_i()
                ),
                404 if self.name.is_none() => format!(
                    "the cluster does not serve {} {} (404 on list): it lacks this API; perfplan's bundle \
                     needs it",
                    self.ar.api_version, self.ar.plural
                ),
                422 => self.invalid(&status.message),
                code => format!(
                    "the API server answered {code} {} to {verb} {resource}{object} {}: {}",
                    status.reason,
                    self.place(),
                    status.message
                ),
            },
            other => unreachable(server, &other),
        }
    }

    /// A 422 that is not only immutable fields (those make a replace, see
    /// [`immutable_causes`]): each cause cut to its field and reason.
    fn invalid(&self, message: &str) -> String {
        let (kind, name) = (&self.ar.kind, self.name.unwrap_or_default());
        let listed: Vec<String> = invalid_causes(message)
            .iter()
            .map(|(f, why)| format!("{f}: {why}"))
            .collect();
        format!("the API server rejects {kind} `{name}`: {}", listed.join("; "))
    }

    /// perfplan's own deadline passed: the server accepted the connection (or the
    /// network swallowed it) and did not answer.
    pub fn timed_out(&self) -> String {
        format!(
            "timed out after {}s waiting for the API server at {} ({} {} {}): it accepted no request or \
             sent no answer; check that the server is healthy and the network, or raise --timeout",
            self.conn.timeout.as_secs_f32(),
            self.conn.server,
            self.verb,
            self.resource(),
            self.place()
        )
    }
}

/// A transport failure by its innermost cause: a refused connection says that
/// nothing listens; anything else names the cause the error chain ends with.
fn unreachable(server: &str, e: &kube::Error) -> String {
    let mut cause: Option<&dyn std::error::Error> = Some(e);
    let mut last = e.to_string();
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            match io.kind() {
                ErrorKind::ConnectionRefused => {
                    return format!(
                        "connection refused: nothing listens at {server}. Is the cluster running, and is this \
                         its address? (`kubectl cluster-info`)"
                    );
                }
                ErrorKind::TimedOut => {
                    return format!(
                        "cannot reach the API server at {server}: the connection timed out ({io}); check \
                         the network, or raise --timeout"
                    );
                }
                _ => {}
            }
        }
        last = c.to_string();
        cause = c.source();
    }
    format!(
        "cannot reach the API server at {server}: {last}. Check the cluster address and your network \
         (`kubectl cluster-info`)"
    )
}

/// The fields of a 422 when every cause is a field the server keeps immutable (the
/// object must be replaced), else `None`. The reasons are those of Kubernetes'
/// validation: "field is immutable", "can only be modified in tandem with
/// spec.parallelism", "may not change once set", and before 1.37 a StatefulSet's
/// "updates to statefulset spec for fields other than … are forbidden".
pub(super) fn immutable_causes(message: &str) -> Option<Vec<String>> {
    let causes = invalid_causes(message);
    let fixed = |why: &str| {
        why.contains("immutable")
            || why.contains("in tandem")
            || why.contains("may not change once set")
            || why.contains("updates to statefulset spec")
    };
    let all = !causes.is_empty() && causes.iter().all(|(_, why)| fixed(why));
    all.then(|| {
        let mut fields: Vec<String> = causes.into_iter().map(|(f, _)| f).collect();
        fields.dedup();
        fields
    })
}

/// The causes of a 422 message (`<Kind> "<name>" is invalid: [<field>: <why>, …]`),
/// each as (field, reason), with any `Invalid value: …` quote of the value dropped:
/// for an immutable field the server quotes the whole live template (10 KB).
pub(super) fn invalid_causes(message: &str) -> Vec<(String, String)> {
    let body = message.split_once(" is invalid: ").map_or(message, |(_, b)| b);
    let body = body
        .strip_prefix('[')
        .and_then(|b| b.strip_suffix(']'))
        .unwrap_or(body);
    // Causes are `field: why`, separated by ", " before the next `spec.`-like field.
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let Some((field, tail)) = rest.split_once(": ") else {
            out.push((String::new(), shorten(rest)));
            break;
        };
        // The next cause starts at ", <field>: " where <field> has no spaces.
        let next = tail.match_indices(", ").map(|(i, _)| i).find(|&i| {
            tail[i + 2..]
                .split_once(": ")
                .is_some_and(|(f, _)| !f.is_empty() && !f.contains(' ') && !f.contains('"'))
        });
        let (why, after) = match next {
            Some(i) => (&tail[..i], &tail[i + 2..]),
            None => (tail, ""),
        };
        out.push((field.to_owned(), shorten(why)));
        rest = after;
    }
    out
}

/// A cause's reason without the server's quote of the value: the text after the
/// last `: ` of an `Invalid value: …: reason`, cut to 200 characters.
fn shorten(why: &str) -> String {
    let why = if why.starts_with("Invalid value:") {
        why.rsplit_once(": ").map_or(why, |(_, r)| r)
    } else {
        why
    };
    why.chars().take(200).collect()
}

/// Run one API call with perfplan's deadline: `Err` is the timed-out message, the
/// inner result the call's own.
pub(super) async fn deadline<T>(
    doing: &Doing<'_>,
    call: impl std::future::Future<Output = Result<T, kube::Error>>,
) -> Result<Result<T, kube::Error>, String> {
    tokio::time::timeout(doing.conn.timeout, call)
        .await
        .map_err(|_| doing.timed_out())
}

/// Run one API call with a deadline, any failure explained.
pub(super) async fn timed<T>(
    doing: &Doing<'_>,
    call: impl std::future::Future<Output = Result<T, kube::Error>>,
) -> Result<T, String> {
    deadline(doing, call).await?.map_err(|e| doing.explain(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shapes a real kube-apiserver 1.37 returns (tests/api_server.rs shows them live).
    #[test]
    fn a_422_is_cut_to_its_fields() {
        let one = "Job.batch \"r\" is invalid: spec.template: Invalid value: {\"labels\":{\"a\":\"b\"},\"spec\":{\"x\":\"y: z\"}}: field is immutable";
        assert_eq!(
            invalid_causes(one),
            [("spec.template".to_owned(), "field is immutable".to_owned())]
        );
        assert_eq!(immutable_causes(one), Some(vec!["spec.template".to_owned()]));
        let two = "Job.batch \"r\" is invalid: [spec.completions: Invalid value: 5: can only be modified in tandem with spec.parallelism, spec.template: Invalid value: {\"a\": 1}: field is immutable]";
        assert_eq!(
            invalid_causes(two),
            [
                (
                    "spec.completions".to_owned(),
                    "can only be modified in tandem with spec.parallelism".to_owned()
                ),
                ("spec.template".to_owned(), "field is immutable".to_owned()),
            ]
        );
        assert_eq!(
            immutable_causes(two),
            Some(vec!["spec.completions".to_owned(), "spec.template".to_owned()])
        );
        let plain = "Service \"s\" is invalid: spec.ports[0].port: Required value";
        assert_eq!(
            invalid_causes(plain),
            [("spec.ports[0].port".to_owned(), "Required value".to_owned())]
        );
        assert_eq!(immutable_causes(plain), None);
    }
}
