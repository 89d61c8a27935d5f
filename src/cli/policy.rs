//! The Host policy's three flags, declared once and flattened into both the server's
//! arguments and `hostecho check`'s, so the two cannot drift apart.

use ipnet::IpNet;

use hostecho::host::PolicyOptions;

/// `--allowed-hosts`, `--use-x-forwarded-host`, `--trusted-proxies`. The help here is
/// the server's; `check` words it for itself (`CheckArgs`).
#[derive(Debug, clap::Args)]
pub struct PolicyArgs {
    /// Hosts to answer for: example.com, .example.com (and subdomains), *.example.com
    /// (subdomains only), *, IP literals, CIDR ranges, @self (the addresses listened on;
    /// for 0.0.0.0 or [::], this machine's). Repeatable, comma-separated.
    /// Default: .localhost, 127.0.0.1, [::1].
    #[arg(
        short,
        long,
        value_name = "PATTERNS",
        env = "HOSTECHO_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    allowed_hosts: Vec<String>,

    /// Let X-Forwarded-Host (or Forwarded: host=) replace Host, as behind a reverse proxy.
    #[arg(long, env = "HOSTECHO_USE_X_FORWARDED_HOST",
          value_parser = clap::builder::BoolishValueParser::new())]
    use_x_forwarded_host: bool,

    /// Honour forwarding headers only from peers in these CIDR ranges (e.g. 10.0.0.0/8).
    /// Default: every peer, when --use-x-forwarded-host is on.
    #[arg(long, value_name = "CIDRS", env = "HOSTECHO_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_cidr)]
    trusted_proxies: Vec<IpNet>,
}

impl PolicyArgs {
    /// The policy's options. Patterns are trimmed here as well as by the policy, so the
    /// start-up log shows `a.example, b.example` the way it was meant.
    pub fn into_options(self) -> PolicyOptions {
        PolicyOptions {
            allowed_hosts: self
                .allowed_hosts
                .iter()
                .map(|p| p.trim().to_owned())
                .collect(),
            use_x_forwarded_host: self.use_x_forwarded_host,
            trusted_proxies: self.trusted_proxies,
        }
    }
}

/// Parses one CIDR range; a bare address means just that address (/32 or /128).
fn parse_cidr(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{s:?} is not a CIDR range like 10.0.0.0/8 or an IP address"))
}
