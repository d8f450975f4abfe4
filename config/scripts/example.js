// An example GameLift Realtime script, in the shape of the one in the GameLift developer
// guide: it counts players, greets each accepted player, tells the others about a departure,
// answers opcode 111 sent to the server with opcode 112 to group 1, refuses player-to-player
// messages containing "Reject", and ends the game session once it has been empty for a while.
//
// Run it with `volley serve --script config/scripts/example.js`, or zip it as index.js and
// upload it with `aws gamelift create-script`. The game session's properties `tickMs` and
// `minimumElapsedSecs` shorten its timings (the defaults are the guide's: 1 s and 120 s).
'use strict';

const OP_PLAYER_ACCEPTED = 113;
const OP_PLAYER_DISCONNECTED = 114;
const OP_ASK_SERVER = 111;
const OP_SERVER_ANSWER = 112;
const OP_TICKS = 115;

let session;
let logger;
let startTime;
let activePlayers = 0;
let tickTime = 1000;
let minimumElapsedTime = 120;
let ticks = 0;

function getTimeInS() {
  return Math.round(new Date().getTime() / 1000);
}

function property(gameSession, key) {
  const found = (gameSession.GameProperties || []).find((p) => p.Key === key);
  return found === undefined ? undefined : Number(found.Value);
}

async function tickLoop() {
  ticks += 1;
  const elapsedTime = getTimeInS() - startTime;
  if (activePlayers === 0 && elapsedTime >= minimumElapsedTime) {
    logger.info('All players disconnected. Ending game');
    const outcome = await session.processEnding();
    logger.info('Completed process ending with: ' + outcome);
    process.exit(0);
  } else {
    setTimeout(tickLoop, tickTime);
  }
}

function init(rtSession) {
  session = rtSession;
  logger = session.getLogger();
}

function onProcessStarted(args) {
  logger.info('Starting process with args: ' + JSON.stringify(args));
  return true;
}

function onStartGameSession(gameSession) {
  tickTime = property(gameSession, 'tickMs') || tickTime;
  const minimum = property(gameSession, 'minimumElapsedSecs');
  minimumElapsedTime = minimum === undefined ? minimumElapsedTime : minimum;
  startTime = getTimeInS();
  logger.info('Game session ' + gameSession.GameSessionId + ' started');
  tickLoop();
}

function onHealthCheck() {
  return true;
}

function onPlayerConnect(connectMsg) {
  // A client that sends "banned" as its connection payload is refused.
  return connectMsg.payload.toString() !== 'banned';
}

function onPlayerAccepted(player) {
  activePlayers++;
  const text = 'Peer ' + player.peerId + ' accepted';
  const outMessage = session.newTextGameMessage(OP_PLAYER_ACCEPTED, session.getServerId(), text);
  session.sendReliableMessage(outMessage, player.peerId);
}

function onPlayerDisconnect(peerId) {
  const text = 'Peer ' + peerId + ' disconnected';
  const outMessage = session.newTextGameMessage(OP_PLAYER_DISCONNECTED, session.getServerId(), text);
  session.getPlayers().forEach((player, playerId) => {
    if (playerId !== peerId) {
      session.sendReliableMessage(outMessage, playerId);
    }
  });
  activePlayers--;
}

function onMessage(gameMessage) {
  switch (gameMessage.opCode) {
    case OP_ASK_SERVER: {
      const outMessage = session.newTextGameMessage(OP_SERVER_ANSWER, session.getServerId(),
        'Answer to ' + gameMessage.getPayloadAsText());
      session.sendReliableGroupMessage(outMessage, 1);
      break;
    }
    case OP_TICKS: {
      const outMessage = session.newTextGameMessage(OP_TICKS, session.getServerId(), String(ticks));
      session.sendReliableMessage(outMessage, gameMessage.sender);
      break;
    }
    default:
      break;
  }
}

function onSendToPlayer(gameMessage) {
  return !gameMessage.getPayloadAsText().includes('Reject');
}

function onSendToGroup(gameMessage) {
  return true;
}

function onPlayerJoinGroup(groupId, peerId) {
  return true;
}

function onPlayerLeaveGroup(groupId, peerId) {
  return true;
}

function onProcessTerminate() {
  logger.info('The game session is being terminated');
}

const configuration = {
  pingIntervalTime: 30000,
  maxPlayers: 32,
};

exports.ssExports = {
  configuration,
  init,
  onProcessStarted,
  onMessage,
  onPlayerConnect,
  onPlayerAccepted,
  onPlayerDisconnect,
  onSendToPlayer,
  onSendToGroup,
  onPlayerJoinGroup,
  onPlayerLeaveGroup,
  onStartGameSession,
  onProcessTerminate,
  onHealthCheck,
};
