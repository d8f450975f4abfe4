// A game backend on the AWS SDK for JavaScript v3 that matches players with FlexMatch, as one
// written for GameLift does; the client's `endpoint` is its only change for Volley.
//
// Environment: VOLLEY_ENDPOINT (the control API's URL), AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_REGION, read by the SDK as for GameLift.
//
// It creates a queue to the fleet, a rule set (after validating it, and a broken one), and a
// configuration that requires acceptance; starts a ticket for each of two players, polls
// DescribeMatchmaking until they need acceptance, accepts for both, and polls until they
// complete; stops a third ticket; and checks the errors of an unknown configuration. It prints
// one JSON line with what it saw and exits 0; on any unexpected answer it exits 1 with a
// message on stderr.

import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";

import {
  AcceptMatchCommand,
  CreateGameSessionQueueCommand,
  CreateMatchmakingConfigurationCommand,
  CreateMatchmakingRuleSetCommand,
  DescribeFleetAttributesCommand,
  DescribeMatchmakingCommand,
  GameLiftClient,
  InvalidRequestException,
  NotFoundException,
  StartMatchmakingCommand,
  StopMatchmakingCommand,
  ValidateMatchmakingRuleSetCommand,
} from "@aws-sdk/client-gamelift";

import { check, environment, expectError, run } from "./backend.mjs";

const PLAYERS = { alice: 1200, bob: 1260 };
// How long tickets may take to reach a status before the backend gives up.
const STATUS_TIMEOUT_MS = 20_000;
const POLL_INTERVAL_MS = 100;

const RULE_SET = {
  name: "duel",
  ruleLanguageVersion: "1.0",
  playerAttributes: [{ name: "skill", type: "number", default: 1000 }],
  teams: [{ name: "red", maxPlayers: 1, minPlayers: 1 }, { name: "blue", maxPlayers: 1, minPlayers: 1 }],
  rules: [{
    name: "FairFight",
    type: "distance",
    measurements: ["max(flatten(teams[*].players.attributes[skill]))"],
    referenceValue: "min(flatten(teams[*].players.attributes[skill]))",
    maxDistance: 100,
  }],
};

// Polls DescribeMatchmaking until every ticket has one of `statuses`.
async function until(client, ticketIds, statuses) {
  const deadline = Date.now() + STATUS_TIMEOUT_MS;
  for (;;) {
    const { TicketList: tickets } = await client.send(
      new DescribeMatchmakingCommand({ TicketIds: ticketIds }));
    check(tickets?.length === ticketIds.length, "DescribeMatchmaking: every ticket", tickets);
    if (tickets.every((t) => statuses.includes(t.Status))) return tickets;
    check(Date.now() < deadline,
      `tickets not ${statuses.join(" or ")} after ${STATUS_TIMEOUT_MS} ms`, tickets);
    await sleep(POLL_INTERVAL_MS);
  }
}

async function main() {
  const endpoint = environment();
  const client = new GameLiftClient({ endpoint });
  const suffix = randomUUID().slice(0, 8);

  const { FleetAttributes: fleets } = await client.send(new DescribeFleetAttributesCommand({}));
  check(fleets?.length === 1, "DescribeFleetAttributes: one fleet", fleets);
  const { GameSessionQueue: queue } = await client.send(new CreateGameSessionQueueCommand({
    Name: `js-mm-${suffix}`, Destinations: [{ DestinationArn: fleets[0].FleetArn }],
  }));

  const body = JSON.stringify(RULE_SET);
  const { Valid: valid } = await client.send(
    new ValidateMatchmakingRuleSetCommand({ RuleSetBody: body }));
  check(valid === true, "ValidateMatchmakingRuleSet: the rule set is valid", valid);
  const broken = await expectError(
    client.send(new ValidateMatchmakingRuleSetCommand({
      RuleSetBody: JSON.stringify({ ...RULE_SET, teams: [] }),
    })),
    InvalidRequestException, "ValidateMatchmakingRuleSet of a rule set without teams");
  const { RuleSet: ruleSet } = await client.send(new CreateMatchmakingRuleSetCommand({
    Name: `js-duel-${suffix}`, RuleSetBody: body,
  }));

  const { Configuration: configuration } = await client.send(
    new CreateMatchmakingConfigurationCommand({
      Name: `js-duel-${suffix}`,
      RuleSetName: ruleSet.RuleSetArn,
      GameSessionQueueArns: [queue.GameSessionQueueArn],
      RequestTimeoutSeconds: 60,
      AcceptanceRequired: true,
      AcceptanceTimeoutSeconds: 30,
      GameProperties: [{ Key: "mode", Value: "duel" }],
    }));
  check(configuration?.RuleSetArn === ruleSet.RuleSetArn,
    "CreateMatchmakingConfiguration answered the configuration", configuration);

  // One ticket per player, as each player's client asks the backend.
  const ticketIds = [];
  for (const [player, skill] of Object.entries(PLAYERS)) {
    const { MatchmakingTicket: ticket } = await client.send(new StartMatchmakingCommand({
      ConfigurationName: configuration.Name,
      Players: [{ PlayerId: player, PlayerAttributes: { skill: { N: skill } } }],
    }));
    check(ticket?.Status === "QUEUED" && ticket.StartTime instanceof Date,
      "StartMatchmaking answered a QUEUED ticket", ticket);
    ticketIds.push(ticket.TicketId);
  }
  const proposed = await until(client, ticketIds, ["REQUIRES_ACCEPTANCE"]);
  for (const ticket of proposed) {
    await client.send(new AcceptMatchCommand({
      TicketId: ticket.TicketId,
      PlayerIds: ticket.Players.map((p) => p.PlayerId),
      AcceptanceType: "ACCEPT",
    }));
  }
  const completed = await until(client, ticketIds, ["COMPLETED", "FAILED", "CANCELLED"]);
  check(completed.every((t) => t.Status === "COMPLETED"), "both tickets COMPLETED", completed);

  // A ticket stopped while it searches.
  const { MatchmakingTicket: lonely } = await client.send(new StartMatchmakingCommand({
    ConfigurationName: configuration.ConfigurationArn,
    Players: [{ PlayerId: "carol", PlayerAttributes: { skill: { N: 3000 } } }],
  }));
  await client.send(new StopMatchmakingCommand({ TicketId: lonely.TicketId }));
  const [stopped] = await until(client, [lonely.TicketId], ["CANCELLED"]);

  const unknownConfiguration = await expectError(
    client.send(new StartMatchmakingCommand({
      ConfigurationName: "js-no-such-configuration", Players: [{ PlayerId: "dave" }],
    })),
    NotFoundException, "StartMatchmaking with an unknown configuration");

  console.log(JSON.stringify({
    configurationArn: configuration.ConfigurationArn,
    tickets: completed.map((t) => ({
      ticketId: t.TicketId,
      players: t.Players.map((p) => ({ playerId: p.PlayerId, team: p.Team })),
      gameSessionArn: t.GameSessionConnectionInfo?.GameSessionArn,
      ipAddress: t.GameSessionConnectionInfo?.IpAddress,
      port: t.GameSessionConnectionInfo?.Port,
      playerSessions: Object.fromEntries((t.GameSessionConnectionInfo?.MatchedPlayerSessions ?? [])
        .map((s) => [s.PlayerId, s.PlayerSessionId])),
    })),
    stopped: { ticketId: stopped.TicketId, status: stopped.Status },
    errors: { broken, unknownConfiguration },
  }));
}

run("matchmaking_backend", main);
