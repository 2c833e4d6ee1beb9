//! The connection to the cluster: the kubeconfig's context (or the in-cluster
//! config), with the client's own timeouts set above `--timeout` so that
//! perfplan's deadline, which names the call that hung, is the one that fires.

use super::Options;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use std::time::Duration;

/// How far above `--timeout` the client's connect, read and write timeouts are:
/// enough that the per-call deadline always fires first on a hung server (the
/// client's own timeout error says only "deadline has elapsed"), while a server
/// that never answers still cannot hold a socket forever.
const CLIENT_SLACK: Duration = Duration::from_secs(2);

/// A client and what messages need to name about it.
pub(super) struct Conn {
    pub client: Client,
    /// The API server's address.
    pub server: String,
    /// The kubeconfig context used (`--context`, else the current one), for hints
    /// such as `kubectl auth can-i … --context NAME`; `None` in a cluster.
    pub context: Option<String>,
    /// The most one API call may take.
    pub timeout: Duration,
}

/// The client for the kubeconfig's context (or the in-cluster config when there is
/// no kubeconfig).
pub(super) async fn connect(options: &Options) -> Result<Conn, String> {
    let kubeconfig = Kubeconfig::read().ok();
    let (mut config, context) = if kubeconfig.is_some() || options.context.is_some() {
        let context = options
            .context
            .clone()
            .or_else(|| kubeconfig.and_then(|k| k.current_context));
        (from_kubeconfig(options).await?, context)
    } else {
        let config = Config::incluster().map_err(|_| {
            "no kubeconfig: set KUBECONFIG or create ~/.kube/config (e.g. with your cloud's \
             `get-credentials` command), or run inside a cluster"
                .to_owned()
        })?;
        (config, None)
    };
    let slow = options.timeout + CLIENT_SLACK;
    config.connect_timeout = Some(slow);
    config.read_timeout = Some(slow);
    config.write_timeout = Some(slow);
    let server = config.cluster_url.to_string();
    let server = server.trim_end_matches('/').to_owned();
    let client = Client::try_from(config).map_err(|e| format!("cannot build a client for {server}: {e}"))?;
    Ok(Conn {
        client,
        server,
        context,
        timeout: options.timeout,
    })
}

async fn from_kubeconfig(options: &Options) -> Result<Config, String> {
    let kube_options = KubeConfigOptions {
        context: options.context.clone(),
        ..Default::default()
    };
    Config::from_kubeconfig(&kube_options).await.map_err(|e| {
        format!(
            "cannot use the kubeconfig{}: {e}. Check `kubectl config get-contexts`",
            options
                .context
                .as_ref()
                .map(|c| format!(" context `{c}`"))
                .unwrap_or_default()
        )
    })
}
