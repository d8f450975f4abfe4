//! `volley client`: an interactive line client on [`volley::client`]. It logs in with a player
//! session id, sends each line typed to the players, and prints everything that arrives, one
//! line per event on stdout; the tool an operator reaches for to poke a server.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use bytes::Bytes;
use clap::Args;
use tokio::io::{AsyncBufReadExt, BufReader};
use volley::client::{
    Channel, Client, ClientConfig, ConnectionToken, DataReceived, DeliveryIntent, Event, RtMessage,
    SecureConfig,
};
use volley::protocol::{GroupId, Opcode, PeerId};

/// `volley client`.
#[derive(Debug, Args)]
pub struct ClientArgs {
    /// The server's game address, `host:port` (the WebSocket port).
    #[arg(long, default_value = "127.0.0.1:1935")]
    pub server: String,
    /// The player session id to log in with (any non-empty id against `serve --dev`).
    #[arg(long)]
    pub player_session_id: String,
    /// Connection payload sent with the login.
    #[arg(long, default_value = "")]
    pub payload: String,
    /// Opcode of the messages sent (change it later with `/op N`).
    #[arg(long, default_value_t = 1)]
    pub op: i32,
    /// Send with reliable intent (WebSocket) instead of fast (UDP when bound).
    #[arg(long)]
    pub reliable: bool,
    /// Never bind the UDP fast channel, like the TypeScript client.
    #[arg(long)]
    pub no_udp: bool,
    /// Connect in secure mode (`wss://`), trusting the CA certificate(s) of this PEM file,
    /// such as the `ca.pem` of `volley cert generate`.
    #[arg(long, value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,
    /// The name the server's certificate must carry, sent as SNI (default: the host of
    /// `--server`).
    #[arg(long, value_name = "NAME", requires = "tls_ca")]
    pub server_name: Option<String>,
}

const HELP: &str = "\
lines are sent to all players; commands:
  /to PEER TEXT     send to one player        /group GROUP TEXT  send to a group
  /server TEXT      send to the server        /op N              set the opcode
  /join GROUP       join a group              /leave GROUP       leave a group
  /members GROUP    ask for a group's members /fast, /reliable   set the delivery intent
  /help             this text                 /quit              disconnect (or end of input)";

/// Runs the client until the input ends, `/quit`, or the server closes the connection.
pub async fn run(args: ClientArgs) -> anyhow::Result<()> {
    let (host, port) = args
        .server
        .rsplit_once(':')
        .and_then(|(host, port)| Some((host, port.parse::<u16>().ok()?)))
        .with_context(|| format!("--server `{}` is not host:port", args.server))?;
    let secure = match &args.tls_ca {
        Some(path) => {
            let pem = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            let mut secure = SecureConfig::from_ca_pem(&pem)
                .with_context(|| format!("--tls-ca {}", path.display()))?;
            secure.server_name = args.server_name.clone();
            Some(secure)
        }
        None => None,
    };
    let config = ClientConfig {
        fast_channel: !args.no_udp,
        secure,
        ..ClientConfig::default()
    };
    let token = ConnectionToken::new(args.player_session_id.clone(), args.payload.clone());
    let mut client = Client::connect(host, port, token, config)
        .await
        .with_context(|| format!("cannot log in to {}", args.server))?;
    println!(
        "connected as peer {} (fast port {})",
        client.peer_id(),
        client.fast_port()
    );
    let mut state = Input {
        op: Opcode(args.op),
        intent: if args.reliable {
            DeliveryIntent::Reliable
        } else {
            DeliveryIntent::Fast
        },
    };
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        tokio::select! {
            line = lines.next_line() => {
                let Some(line) = line.context("reading standard input")? else { break };
                match state.command(&client, line.trim()).await {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => println!("error: {e:#}"),
                }
            }
            event = client.next_event() => match event {
                Some(event) => {
                    if !print_event(event) {
                        return Ok(());
                    }
                }
                None => return Ok(()),
            },
        }
    }
    // Let what was typed last reach the server before the close.
    tokio::time::timeout(Duration::from_secs(2), client.disconnect())
        .await
        .ok();
    Ok(())
}

/// The current opcode and delivery intent.
struct Input {
    op: Opcode,
    intent: DeliveryIntent,
}

impl Input {
    /// Acts on one input line; false to quit.
    async fn command(&mut self, client: &Client, line: &str) -> anyhow::Result<bool> {
        if line.is_empty() {
            return Ok(true);
        }
        let Some(command) = line.strip_prefix('/') else {
            self.send(
                client,
                RtMessage::to_group(self.op, GroupId::ALL_PLAYERS, text(line)),
            )
            .await?;
            return Ok(true);
        };
        let (verb, rest) = command.split_once(' ').unwrap_or((command, ""));
        let (first, text_after) = rest.trim().split_once(' ').unwrap_or((rest.trim(), ""));
        match verb {
            "to" => {
                let peer = PeerId(number(first)?);
                self.send(
                    client,
                    RtMessage::to_player(self.op, peer, text(text_after)),
                )
                .await?;
            }
            "group" => {
                let group = GroupId(number(first)?);
                self.send(
                    client,
                    RtMessage::to_group(self.op, group, text(text_after)),
                )
                .await?;
            }
            "server" => {
                self.send(client, RtMessage::to_server(self.op, text(rest.trim())))
                    .await?
            }
            "op" => self.op = Opcode(number(first)?),
            "join" => client.join_group(GroupId(number(first)?)).await?,
            "leave" => client.leave_group(GroupId(number(first)?)).await?,
            "members" => {
                client
                    .request_group_membership(GroupId(number(first)?))
                    .await?
            }
            "fast" => self.intent = DeliveryIntent::Fast,
            "reliable" => self.intent = DeliveryIntent::Reliable,
            "help" => println!("{HELP}"),
            "quit" => return Ok(false),
            other => bail!("unknown command /{other}; /help lists them"),
        }
        Ok(true)
    }

    async fn send(&self, client: &Client, message: RtMessage) -> anyhow::Result<()> {
        client.send(message.with_intent(self.intent)).await?;
        Ok(())
    }
}

fn number(word: &str) -> anyhow::Result<i32> {
    word.parse()
        .with_context(|| format!("`{word}` is not a number"))
}

fn text(line: &str) -> Bytes {
    Bytes::copy_from_slice(line.as_bytes())
}

/// Prints one event as one line; false once the connection is closed.
fn print_event(event: Event) -> bool {
    match event {
        Event::Data(DataReceived {
            sender,
            op_code,
            target_group,
            payload,
            channel,
            ..
        }) => {
            let channel = match channel {
                Channel::Reliable => "reliable",
                Channel::Fast => "fast",
            };
            let body = match std::str::from_utf8(&payload) {
                Ok(text) => text.to_owned(),
                Err(_) => payload.iter().map(|b| format!("{b:02x}")).collect(),
            };
            println!("[from {sender} op {op_code} group {target_group} {channel}] {body}");
        }
        Event::GroupMembershipUpdated {
            sender,
            group,
            players,
        } => {
            let players: Vec<String> = players.iter().map(ToString::to_string).collect();
            println!(
                "[group {group}] members [{}] (update from {sender})",
                players.join(",")
            );
        }
        Event::FastReady => println!("fast channel ready"),
        Event::Error(error) => println!("error: {error}"),
        Event::Closed { code, reason } => {
            let code = code.map_or_else(|| "-".to_owned(), |c| c.to_string());
            println!("closed ({code} {reason})");
            return false;
        }
    }
    true
}
