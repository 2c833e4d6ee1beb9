//! The few `sh` scripts perfplan runs in containers.
//!
//! A plan is untrusted input, so script text is built from perfplan's own constant
//! text and integers only. Every value that comes from the plan (URLs, names,
//! properties) reaches the script as an env var expanded inside double quotes, or as
//! a positional argument after the script (`sh -c SCRIPT NAME ARG...`, expanded as
//! `"$@"`), where the shell never parses it.

/// `command` for a container that runs `script`; `name` becomes `$0` in messages.
pub fn command(name: &str, script: String) -> Vec<String> {
    vec!["sh".to_owned(), "-c".to_owned(), script, name.to_owned()]
}

/// Lines that read a StatefulSet pod's ordinal from `$POD_NAME` (`<set>-<ordinal>`)
/// into `$ordinal`, failing loudly if it is not a number.
pub fn ordinal_from_pod_name() -> &'static str {
    concat!(
        "ordinal=\"${POD_NAME##*-}\"\n",
        "case \"$ordinal\" in\n",
        "  ''|*[!0-9]*) echo \"perfplan: cannot read the pod ordinal from POD_NAME=$POD_NAME\" >&2; exit 1 ;;\n",
        "esac\n",
    )
}

/// Lines that read an Indexed Job pod's index from `$RUNNER_INDEX` into `$index`.
pub fn index_from_runner_index() -> &'static str {
    concat!(
        "index=\"$RUNNER_INDEX\"\n",
        "case \"$index\" in\n",
        "  ''|*[!0-9]*) echo \"perfplan: RUNNER_INDEX is not a number: $RUNNER_INDEX\" >&2; exit 1 ;;\n",
        "esac\n",
    )
}

/// A bounded wait: runs `check` (which must set `$ok` to 1 when done, and may set
/// `$status` to what is still missing) every two seconds for at most `timeout_secs`.
pub fn bounded_wait(what: &str, timeout_secs: u32, check: &str, on_timeout: &str) -> String {
    bounded_wait_every(what, timeout_secs, check, on_timeout, "sleep 2")
}

/// [`bounded_wait`], polling with `pause` (a shell command) between checks.
fn bounded_wait_every(what: &str, timeout_secs: u32, check: &str, on_timeout: &str, pause: &str) -> String {
    format!(
        "echo \"perfplan: waiting up to {timeout_secs}s for {what}\"\n\
         start=$(date +%s)\n\
         while :; do\n\
         {check}\
         \x20 if [ \"$ok\" = 1 ]; then break; fi\n\
         \x20 if [ $(( $(date +%s) - start )) -ge {timeout_secs} ]; then\n\
         \x20   echo \"perfplan: gave up after {timeout_secs}s waiting for {what}: $status\" >&2\n\
         \x20   echo \"perfplan: {on_timeout}\" >&2\n\
         \x20   exit 1\n\
         \x20 fi\n\
         \x20 {pause}\n\
         done\n"
    )
}

/// The pause between two DNS polls: a fifth of a second, where `sleep` takes
/// fractions (BusyBox's does when built with FEATURE_FLOAT_SLEEP, GNU's always),
/// else one second. A poll is one lookup per pod, so polling this often costs the
/// cluster DNS `N` queries per poll, not the `N²` of every pod resolving every peer.
pub const DNS_PAUSE: &str = "sleep 0.2 2>/dev/null || sleep 1";

/// Whether the name in `$host` resolves: `getent hosts` (musl-utils, in the Alpine
/// base image; its exit status is 2 when the name is not found: aports
/// main/musl/getent.c), or BusyBox `nslookup` where an image has no `getent`. Only
/// the exit status is read: the output of both differs between versions.
const RESOLVES: &str = "getent hosts \"$host\" >/dev/null 2>&1 || nslookup \"$host\" >/dev/null 2>&1";

/// A bounded wait until the DNS names `host_expr` (a shell word with `$i` in it,
/// e.g. `$WORKER_SET-$i.$WORKER_SERVICE`) resolve for every `$i` from `first` up to
/// `$<count_var>` - 1. Names are checked in order and a name that resolved is not
/// looked up again (pods are only added until the wait ends), so each poll costs one
/// lookup plus the names that came up since the last: `count` lookups over the whole
/// wait, not `count` per poll.
pub fn wait_for_dns(what: &str, first: u32, count_var: &str, host_expr: &str, on_timeout: &str) -> String {
    let check = format!(
        "  ok=1; status=\"\"\n\
         \x20 while [ \"$i\" -lt \"${count_var}\" ]; do\n\
         \x20   host=\"{host_expr}\"\n\
         \x20   if ! {{ {RESOLVES}; }}; then\n\
         \x20     ok=0; status=\"$host does not resolve yet\"; break\n\
         \x20   fi\n\
         \x20   i=$((i + 1))\n\
         \x20 done\n"
    );
    format!(
        "i={first}\n{}",
        bounded_wait_every(what, WAIT_TIMEOUT_SECS, &check, on_timeout, DNS_PAUSE)
    )
}

/// A bounded wait until the one DNS name `host_expr` resolves, polled every
/// [`DNS_PAUSE`]: what every pod behind a start barrier waits for, so that all of
/// them see the same event within one poll of each other.
pub fn wait_for_name(what: &str, host_expr: &str, on_timeout: &str) -> String {
    let check = format!(
        "  ok=0; host=\"{host_expr}\"; status=\"$host does not resolve yet\"\n\
         \x20 if {RESOLVES}; then ok=1; fi\n"
    );
    bounded_wait_every(what, WAIT_TIMEOUT_SECS, &check, on_timeout, DNS_PAUSE)
}

/// How long controllers wait for their workers before failing the test.
pub const WAIT_TIMEOUT_SECS: u32 = 300;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_hold_no_quote_characters_that_a_value_could_close() {
        // The fixed fragments are the only text; spot-check they parse as sh would
        // expect: balanced double quotes.
        for s in [ordinal_from_pod_name(), index_from_runner_index()] {
            assert_eq!(s.matches('"').count() % 2, 0, "{s}");
        }
        let w = bounded_wait("3 workers", 300, "  ok=1\n", "check the pods");
        assert!(w.contains("-ge 300"));
        assert_eq!(w.matches('"').count() % 2, 0, "{w}");
    }
}
