// The console's only way to the server: the control API, called as any game backend calls
// it. GameLift operations go through the AWS SDK's GameLift client; Volley's own operations
// (Volley.DescribeServer, Volley.StartDrain), which no SDK models, and reads that need
// members outside the GameLift model, are the same AWS JSON 1.1 request signed with the
// SDK's own SigV4 signer. The secret is used here to sign and for nothing else.

import {
  DescribeFleetAttributesCommand,
  DescribeFleetCapacityCommand,
  DescribeFleetLocationAttributesCommand,
  DescribeFleetLocationCapacityCommand,
  DescribeFleetLocationUtilizationCommand,
  DescribeFleetUtilizationCommand,
  DescribeGameSessionPlacementCommand,
  DescribeGameSessionQueuesCommand,
  DescribeGameSessionsCommand,
  DescribeMatchmakingCommand,
  DescribeMatchmakingConfigurationsCommand,
  DescribeMatchmakingRuleSetsCommand,
  DescribePlayerSessionsCommand,
  GameLiftClient,
  ListAliasesCommand,
  ListLocationsCommand,
  ListScriptsCommand,
  SearchGameSessionsCommand,
  TerminateGameSessionCommand,
  UpdateGameSessionCommand,
  UpdateScriptCommand,
} from "@aws-sdk/client-gamelift";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";

// The GameLift operations the console uses, by name.
const COMMANDS = {
  DescribeFleetAttributes: DescribeFleetAttributesCommand,
  DescribeFleetCapacity: DescribeFleetCapacityCommand,
  DescribeFleetLocationAttributes: DescribeFleetLocationAttributesCommand,
  DescribeFleetLocationCapacity: DescribeFleetLocationCapacityCommand,
  DescribeFleetLocationUtilization: DescribeFleetLocationUtilizationCommand,
  DescribeFleetUtilization: DescribeFleetUtilizationCommand,
  DescribeGameSessionPlacement: DescribeGameSessionPlacementCommand,
  DescribeGameSessionQueues: DescribeGameSessionQueuesCommand,
  DescribeGameSessions: DescribeGameSessionsCommand,
  DescribeMatchmaking: DescribeMatchmakingCommand,
  DescribeMatchmakingConfigurations: DescribeMatchmakingConfigurationsCommand,
  DescribeMatchmakingRuleSets: DescribeMatchmakingRuleSetsCommand,
  DescribePlayerSessions: DescribePlayerSessionsCommand,
  ListAliases: ListAliasesCommand,
  ListLocations: ListLocationsCommand,
  ListScripts: ListScriptsCommand,
  SearchGameSessions: SearchGameSessionsCommand,
  TerminateGameSession: TerminateGameSessionCommand,
  UpdateGameSession: UpdateGameSessionCommand,
  UpdateScript: UpdateScriptCommand,
};

// The signing name Volley checks; any region is accepted, but one must be named.
const SERVICE = "gamelift";
export const DEFAULT_REGION = "us-east-1";

// The SDK's scheme for operations that are not signed, used against `control.auth = "none"`.
const NO_AUTH = "smithy.api#noAuth";

// An error the API answered (its `__type` and message) or a failure to reach it.
export class ApiError extends Error {
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
  }

  toString() {
    return `${this.code}: ${this.message}`;
  }
}

// The control API's URL: the console is served at `<API>/console/`.
export function endpoint() {
  return new URL("../", window.location.href);
}

// A connection to the control API, signing with `credentials` ({ accessKeyId,
// secretAccessKey }) or, when they are null, unsigned.
export class Api {
  constructor(credentials, region = DEFAULT_REGION) {
    this.url = endpoint();
    this.region = region || DEFAULT_REGION;
    this.accessKeyId = credentials ? credentials.accessKeyId : null;
    const config = { endpoint: this.url.href, region: this.region, maxAttempts: 2 };
    if (credentials) {
      const identity = {
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: credentials.secretAccessKey,
      };
      config.credentials = identity;
      this.signer = new SignatureV4({
        credentials: identity,
        region: this.region,
        service: SERVICE,
        sha256: Sha256,
      });
    } else {
      config.httpAuthSchemeProvider = () => [{ schemeId: NO_AUTH }];
      config.httpAuthSchemes = [
        {
          schemeId: NO_AUTH,
          identityProvider: () => async () => ({}),
          signer: { sign: async (request) => request },
        },
      ];
      this.signer = null;
    }
    this.client = new GameLiftClient(config);
  }

  // A GameLift operation through the SDK: `await api.gamelift("ListScripts", { Limit: 10 })`.
  async gamelift(operation, input = {}) {
    const Command = COMMANDS[operation];
    if (!Command) {
      throw new ApiError("ConsoleError", `the console does not know ${operation}`, 0);
    }
    try {
      return await this.client.send(new Command(input));
    } catch (error) {
      throw apiError(error);
    }
  }

  // Every item of a paged GameLift operation, following NextToken for at most `pages` pages.
  async all(operation, input, key, pages = 20) {
    const items = [];
    let token;
    for (let page = 0; page < pages; page += 1) {
      const answer = await this.gamelift(operation, { ...input, NextToken: token });
      items.push(...(answer[key] ?? []));
      token = answer.NextToken;
      if (!token) {
        return { items, complete: true };
      }
    }
    return { items, complete: false };
  }

  // Any operation as raw AWS JSON 1.1, `target` whole (`Volley.DescribeServer`,
  // `GameLift.DescribeGameSessionDetails`): the parsed answer, every member kept.
  async call(target, input = {}) {
    try {
      return await this.post(target, input);
    } catch (error) {
      if (error.code === "InvalidSignatureException" && error.skewedBy) {
        // The SDK corrects its clock from the server's Date header; so do these calls.
        this.client.config.systemClockOffset = error.skewedBy;
        return this.post(target, input);
      }
      throw error;
    }
  }

  async post(target, input) {
    const body = JSON.stringify(input);
    let request = {
      method: "POST",
      protocol: this.url.protocol,
      hostname: this.url.hostname,
      port: this.url.port ? Number(this.url.port) : undefined,
      path: this.url.pathname,
      query: {},
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": target,
        host: this.url.host,
      },
      body,
    };
    if (this.signer) {
      const offset = this.client.config.systemClockOffset || 0;
      request = await this.signer.sign(request, { signingDate: new Date(Date.now() + offset) });
    }
    // The browser sends Host itself, the same value that was signed.
    const headers = { ...request.headers };
    delete headers.host;
    let response;
    try {
      response = await fetch(this.url, {
        method: "POST",
        headers,
        body,
        cache: "no-store",
        credentials: "omit",
      });
    } catch (error) {
      throw new ApiError("NetworkError", `the control API did not answer (${error.message})`, 0);
    }
    const text = await response.text();
    let answer = null;
    try {
      answer = text ? JSON.parse(text) : {};
    } catch {
      answer = null;
    }
    if (response.ok && answer !== null) {
      return answer;
    }
    const type = (answer && answer.__type) || response.headers.get("x-amzn-ErrorType") || "";
    const code = type.split("#").pop().split(":")[0] || `HTTP${response.status}`;
    const message = (answer && (answer.message || answer.Message)) || `HTTP ${response.status}`;
    const error = new ApiError(code, message, response.status);
    if (code === "InvalidSignatureException" && /^Signature (expired|not yet current)/.test(message)) {
      const serverTime = Date.parse(response.headers.get("date") || "");
      if (!Number.isNaN(serverTime)) {
        error.skewedBy = serverTime - Date.now();
      }
    }
    throw error;
  }
}

// Any failure as an ApiError: the SDK's exceptions keep their name (the `__type` the server
// sent), a request that never got an answer becomes NetworkError.
export function apiError(error) {
  if (error instanceof ApiError) {
    return error;
  }
  const status = error?.$metadata?.httpStatusCode ?? 0;
  if (error instanceof TypeError && !status) {
    return new ApiError("NetworkError", `the control API did not answer (${error.message})`, 0);
  }
  const code = error?.name && error.name !== "Error" ? error.name : "Error";
  return new ApiError(code, error?.message || String(error), status);
}
