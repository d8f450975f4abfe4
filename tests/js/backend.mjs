// What the test backends share: their environment, checks that fail with a message, the
// errors they expect, and how they exit.

export class Unexpected extends Error {}

export function check(condition, message, value) {
  if (!condition) {
    const seen = value === undefined ? "" : `: ${JSON.stringify(value)}`;
    throw new Unexpected(`${message}${seen}`);
  }
}

// The control API's URL; the SDK reads the credentials and region from the environment too.
export function environment() {
  const names = ["VOLLEY_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"];
  const missing = names.filter((name) => !process.env[name]);
  check(missing.length === 0, `missing from the environment: ${missing.join(", ")}`);
  return process.env.VOLLEY_ENDPOINT;
}

// The error `promise` rejects with, checked to be `type` as the SDK names and models it.
export async function expectError(promise, type, what) {
  try {
    const answer = await promise;
    throw new Unexpected(`${what}: answered instead of ${type.name}: ${JSON.stringify(answer)}`);
  } catch (error) {
    if (error instanceof Unexpected) throw error;
    check(error.name === type.name && error instanceof type,
      `${what}: expected ${type.name}, got ${error.name}: ${error.message}`);
    check(error.$metadata?.httpStatusCode === 400,
      `${what}: ${type.name} with HTTP status`, error.$metadata?.httpStatusCode);
    check(typeof error.message === "string" && error.message.length > 0,
      `${what}: ${type.name} without a message`);
    return { name: error.name, status: error.$metadata.httpStatusCode };
  }
}

// Runs `main`; on a failure, one line on stderr naming `backend` and exit code 1.
export function run(backend, main) {
  main().catch((error) => {
    const detail = error instanceof Unexpected
      ? error.message
      : `${error.name}: ${error.message} (HTTP ${error.$metadata?.httpStatusCode ?? "none"})`;
    console.error(`${backend} failed: ${detail}`);
    process.exitCode = 1;
  });
}
