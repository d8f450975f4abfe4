// A game backend on the AWS SDK for JavaScript v3 that places game sessions through a queue,
// as one written for GameLift does; the client's `endpoint` is its only change for Volley.
//
// Environment: VOLLEY_ENDPOINT (the control API's URL), AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_REGION, read by the SDK as for GameLift.
//
// It creates a queue whose destination is the fleet, describes and updates it, starts a
// placement for two players and polls it until it leaves PENDING, stops a second placement
// and checks that an unknown placement is NotFoundException. It prints one JSON line with
// what it saw and exits 0; on any unexpected answer it exits 1 with a message on stderr.

import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";

import {
  CreateGameSessionQueueCommand,
  DeleteGameSessionQueueCommand,
  DescribeFleetAttributesCommand,
  DescribeGameSessionPlacementCommand,
  DescribeGameSessionQueuesCommand,
  GameLiftClient,
  InvalidRequestException,
  NotFoundException,
  StartGameSessionPlacementCommand,
  StopGameSessionPlacementCommand,
  UpdateGameSessionQueueCommand,
  paginateDescribeGameSessionQueues,
} from "@aws-sdk/client-gamelift";

import { check, environment, expectError, run } from "./backend.mjs";

const PLAYERS = ["alice", "bob"];
// How long a placement may stay PENDING before the backend gives up on it.
const SETTLE_TIMEOUT_MS = 20_000;
const POLL_INTERVAL_MS = 100;

async function describePlacement(client, placementId) {
  const { GameSessionPlacement: placement } = await client.send(
    new DescribeGameSessionPlacementCommand({ PlacementId: placementId }));
  check(placement?.PlacementId === placementId, "DescribeGameSessionPlacement answered",
    placement);
  return placement;
}

// Polls the placement until it leaves PENDING, within SETTLE_TIMEOUT_MS.
async function settled(client, placementId) {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const placement = await describePlacement(client, placementId);
    if (placement.Status !== "PENDING") return placement;
    check(Date.now() < deadline,
      `placement ${placementId} still PENDING after ${SETTLE_TIMEOUT_MS} ms`, placement);
    await sleep(POLL_INTERVAL_MS);
  }
}

async function main() {
  const endpoint = environment();
  // Region and credentials come from the environment, through the SDK's default chain.
  const client = new GameLiftClient({ endpoint });

  // The fleet, and the region in its ARN (arn:aws:gamelift:<region>::fleet/<id>).
  const { FleetAttributes: fleets } = await client.send(new DescribeFleetAttributesCommand({}));
  check(Array.isArray(fleets) && fleets.length === 1, "DescribeFleetAttributes: one fleet",
    fleets);
  const fleet = fleets[0];
  check(fleet.Status === "ACTIVE", "the fleet is ACTIVE", fleet);
  const fleetRegion = fleet.FleetArn?.split(":")[3];
  check(fleetRegion, "a region in the fleet ARN", fleet.FleetArn);

  // A queue to the fleet.
  const queueName = `js-${randomUUID().slice(0, 8)}`;
  const { GameSessionQueue: created } = await client.send(new CreateGameSessionQueueCommand({
    Name: queueName,
    TimeoutInSeconds: 60,
    Destinations: [{ DestinationArn: fleet.FleetArn }],
  }));
  check(created?.Name === queueName && created.TimeoutInSeconds === 60,
    "CreateGameSessionQueue answered the queue", created);
  check(created.Destinations?.length === 1
    && created.Destinations[0].DestinationArn === fleet.FleetArn,
    "the queue's destination is the fleet", created);

  const { GameSessionQueues: named } = await client.send(
    new DescribeGameSessionQueuesCommand({ Names: [created.GameSessionQueueArn, "js-missing"] }));
  check(named?.length === 1 && named[0].Name === queueName,
    "DescribeGameSessionQueues by ARN, the missing name left out", named);
  const listed = [];
  for await (const page of paginateDescribeGameSessionQueues(
    { client, pageSize: 1 }, {})) {
    listed.push(...page.GameSessionQueues.map((queue) => queue.Name));
  }
  check(listed.includes(queueName), "the queue in DescribeGameSessionQueues' pages", listed);

  const { GameSessionQueue: updated } = await client.send(new UpdateGameSessionQueueCommand({
    Name: queueName,
    TimeoutInSeconds: 120,
    PlayerLatencyPolicies: [{ MaximumIndividualPlayerLatencyMilliseconds: 200 }],
  }));
  check(updated?.TimeoutInSeconds === 120
    && updated.PlayerLatencyPolicies?.length === 1
    && updated.PlayerLatencyPolicies[0].MaximumIndividualPlayerLatencyMilliseconds === 200
    && updated.Destinations?.[0]?.DestinationArn === fleet.FleetArn,
    "UpdateGameSessionQueue answered the new timeout and policy, the same destination",
    updated);

  // A placement for two players, who report their latency to the fleet's region.
  const placementId = `js-${randomUUID()}`;
  const { GameSessionPlacement: started } = await client.send(
    new StartGameSessionPlacementCommand({
      PlacementId: placementId,
      GameSessionQueueName: queueName,
      MaximumPlayerSessionCount: 4,
      GameSessionName: "js-arena",
      GameProperties: [{ Key: "mode", Value: "duel" }],
      DesiredPlayerSessions: PLAYERS.map((id) => ({ PlayerId: id, PlayerData: `data of ${id}` })),
      PlayerLatencies: PLAYERS.map((id, i) => ({
        PlayerId: id, RegionIdentifier: fleetRegion, LatencyInMilliseconds: 20 + i * 15,
      })),
    }));
  check(started?.PlacementId === placementId && started.Status === "PENDING",
    "StartGameSessionPlacement answered PENDING", started);
  check(started.StartTime instanceof Date, "the placement's StartTime a Date", started);
  await expectError(
    client.send(new StartGameSessionPlacementCommand({
      PlacementId: placementId, GameSessionQueueName: queueName, MaximumPlayerSessionCount: 4,
    })),
    InvalidRequestException, "StartGameSessionPlacement with a placement id in use");

  const placement = await settled(client, placementId);
  check(placement.Status === "FULFILLED", "the placement FULFILLED", placement);
  check(placement.GameSessionId && placement.GameSessionArn === placement.GameSessionId,
    "the fulfilled placement's game session", placement);
  check(placement.IpAddress && Number.isInteger(placement.Port) && placement.Port > 0,
    "the fulfilled placement's address", placement);
  check(placement.EndTime instanceof Date && placement.EndTime >= placement.StartTime,
    "the fulfilled placement's EndTime", placement);
  const placed = placement.PlacedPlayerSessions ?? [];
  check(placed.map((p) => p.PlayerId).join() === PLAYERS.join()
    && placed.every((p) => p.PlayerSessionId),
    "a player session for each desired player, in order", placed);

  // A second placement, stopped at once: CANCELLED while it was pending, or left as it was
  // if it had been placed already.
  const stoppedId = `js-${randomUUID()}`;
  await client.send(new StartGameSessionPlacementCommand({
    PlacementId: stoppedId, GameSessionQueueName: queueName, MaximumPlayerSessionCount: 2,
  }));
  const { GameSessionPlacement: stopped } = await client.send(
    new StopGameSessionPlacementCommand({ PlacementId: stoppedId }));
  check(stopped?.PlacementId === stoppedId
    && ["CANCELLED", "FULFILLED"].includes(stopped.Status),
    "StopGameSessionPlacement answered", stopped);
  const afterStop = await describePlacement(client, stoppedId);
  check(afterStop.Status === stopped.Status && afterStop.EndTime instanceof Date,
    "the stopped placement described as StopGameSessionPlacement answered", afterStop);

  // Errors as the SDK models them.
  const unknownPlacement = await expectError(
    client.send(new DescribeGameSessionPlacementCommand({ PlacementId: "js-never-started" })),
    NotFoundException, "DescribeGameSessionPlacement of an unknown placement");
  const unknownQueue = await expectError(
    client.send(new StartGameSessionPlacementCommand({
      PlacementId: `js-${randomUUID()}`, GameSessionQueueName: "js-no-such-queue",
      MaximumPlayerSessionCount: 2,
    })),
    NotFoundException, "StartGameSessionPlacement through an unknown queue");

  // A placement is remembered after its queue is gone.
  await client.send(new DeleteGameSessionQueueCommand({ Name: queueName }));
  const remembered = await describePlacement(client, placementId);
  check(remembered.Status === "FULFILLED", "the placement after its queue was deleted",
    remembered);

  console.log(JSON.stringify({
    fleetArn: fleet.FleetArn,
    queue: {
      name: updated.Name, arn: updated.GameSessionQueueArn,
      timeoutInSeconds: updated.TimeoutInSeconds, listed: listed.length,
    },
    placement: {
      placementId,
      status: placement.Status,
      gameSessionId: placement.GameSessionId,
      region: placement.GameSessionRegion,
      ipAddress: placement.IpAddress,
      port: placement.Port,
      playerSessions: Object.fromEntries(placed.map((p) => [p.PlayerId, p.PlayerSessionId])),
      playerLatencies: placement.PlayerLatencies?.map((l) => l.LatencyInMilliseconds),
    },
    stopped: { placementId: stoppedId, status: stopped.Status },
    errors: { unknownPlacement, unknownQueue },
  }));
}

run("placement_backend", main);
