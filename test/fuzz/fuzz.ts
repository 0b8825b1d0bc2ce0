/**
 * Schema-driven fuzzing: the four services from `dist/`, as real processes on one isolated sandbox
 * of the local Postgres, Redis and Kafka, and Schemathesis generating requests from each service's
 * own `/docs-json`. A run fails on any 5xx and on any response the document does not describe (its
 * status code, content type or body schema), so the documents stay true and bad input stays a 4xx.
 *
 *   npm run fuzz                      # builds, installs Schemathesis if needed, then runs
 *
 *   SCHEMATHESIS=<path>               the schemathesis executable (deploy/local/fuzz.sh sets it)
 *   FUZZ_MAX_EXAMPLES=25              generated cases per operation and phase
 *   FUZZ_BUDGET_SECONDS=180           the whole run, all four services, is stopped after this
 *   FUZZ_SERVICES=intake,routing,...  a subset, to iterate on one service
 *   FUZZ_REPORT_DIR=.fuzz             where each service's JUnit report and output go
 *   FUZZ_CONTINUE=1                   keep testing an operation after its first failure
 *
 * Traffic goes only to 127.0.0.1.
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { bearer, provideInfrastructure, REPO_ROOT } from '@app/testing';
import { SERVICE_NAMES, type ServiceName } from '../e2e/support/service-process';
import { RunningSystem } from '../e2e/support/system';

/**
 * Sound for every operation: a 5xx is always our bug; a status code, content type or body the
 * document does not describe is a document that lies; and input the document forbids but the API
 * takes (negative_data_rejection) is a document stricter than the validator. Left out: the
 * stateful checks (use_after_free, ensure_resource_availability) need links we do not declare,
 * positive_data_acceptance fails on every well-formed id that names nothing (a correct 404), and
 * ignored_auth is covered by the guard's own tests.
 */
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_schema_conformance',
  'negative_data_rejection',
];

const int = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
};

const SCHEMATHESIS = process.env.SCHEMATHESIS ?? 'schemathesis';
const MAX_EXAMPLES = int('FUZZ_MAX_EXAMPLES', 25);
const BUDGET_SECONDS = int('FUZZ_BUDGET_SECONDS', 180);
const REPORT_DIR = resolve(REPO_ROOT, process.env.FUZZ_REPORT_DIR ?? '.fuzz');
const SERVICES = (process.env.FUZZ_SERVICES?.split(',') ?? SERVICE_NAMES).map((name) => {
  if (!SERVICE_NAMES.includes(name as ServiceName)) throw new Error(`FUZZ_SERVICES: unknown service ${name}`);
  return name as ServiceName;
});

interface Outcome {
  service: ServiceName;
  exitCode: number | null;
  timedOut: boolean;
  cases: number;
  seconds: number;
  output: string;
}

/** Schemathesis against one service; resolves when it ends or when the deadline stops it. */
function fuzz(service: ServiceName, url: string, deadline: number): Promise<Outcome> {
  const started = Date.now();
  const args = [
    '--config-file',
    resolve(__dirname, 'schemathesis.toml'),
    'run',
    `${url}/docs-json`,
    '--url',
    url,
    '--header',
    `Authorization: ${bearer('admin')}`,
    '--checks',
    CHECKS.join(','),
    '--phases',
    'examples,coverage,fuzzing',
    '--max-examples',
    String(MAX_EXAMPLES),
    // The same build generates the same cases, run after run (Schemathesis needs no seed then).
    '--generation-deterministic',
    '--workers',
    '1',
    ...(process.env.FUZZ_CONTINUE ? ['--continue-on-failure'] : []),
    '--request-timeout',
    '10',
    '--no-color',
    '--report',
    'junit',
    '--report-junit-path',
    resolve(REPORT_DIR, `${service}.junit.xml`),
  ];
  const child = spawn(SCHEMATHESIS, args, {
    // Its working files (a crash cache under .schemathesis/) stay with the reports.
    cwd: REPORT_DIR,
    env: { ...process.env, SCHEMATHESIS_HOOKS: resolve(__dirname, 'hooks.py') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  let timedOut = false;
  const timer = setTimeout(
    () => {
      timedOut = true;
      child.kill('SIGTERM');
    },
    Math.max(deadline - Date.now(), 1_000),
  );
  return new Promise((resolveOutcome, reject) => {
    child.once('error', (error) =>
      reject(new Error(`could not run ${SCHEMATHESIS} (run through \`npm run fuzz\`): ${error.message}`)),
    );
    child.once('close', (exitCode) => {
      clearTimeout(timer);
      const text = output.join('');
      writeFileSync(resolve(REPORT_DIR, `${service}.txt`), text);
      resolveOutcome({
        service,
        exitCode,
        timedOut,
        cases: generatedCases(text),
        seconds: Math.round((Date.now() - started) / 1_000),
        output: text,
      });
    });
  });
}

/** Schemathesis's summary line, e.g. "Test cases: 812 generated, 812 passed". */
function generatedCases(output: string): number {
  const match = /Test cases:\s*(\d+) generated/.exec(output);
  return match ? Number(match[1]) : 0;
}

async function main(): Promise<void> {
  Object.assign(process.env, (await provideInfrastructure()).urls);
  mkdirSync(REPORT_DIR, { recursive: true });
  const started = Date.now();
  // The fuzzer sends thousands of requests a minute from one address: that is load, not abuse.
  const system = await RunningSystem.start({ RATE_LIMIT_DISABLED: 'true', LOG_LEVEL: 'warn' });
  const outcomes: Outcome[] = [];
  try {
    const deadline = Date.now() + BUDGET_SECONDS * 1_000;
    // One service at a time: on two cores, parallel runs would only make each slower.
    for (const service of SERVICES) {
      const outcome = await fuzz(service, system.services[service].url, deadline);
      outcomes.push(outcome);
      const verdict = outcome.timedOut ? 'stopped by the time budget' : `exit ${outcome.exitCode}`;
      console.log(`[fuzz] ${service}: ${outcome.cases} cases in ${outcome.seconds} s, ${verdict}`);
      if (outcome.timedOut) break;
    }
  } finally {
    await system.stop();
  }
  const failed = outcomes.filter((outcome) => outcome.exitCode !== 0 || outcome.timedOut);
  const total = outcomes.reduce((sum, outcome) => sum + outcome.cases, 0);
  const seconds = Math.round((Date.now() - started) / 1_000);
  for (const outcome of failed) {
    console.error(`\n===== ${outcome.service} =====\n${outcome.output.slice(-20_000)}`);
  }
  if (failed.length > 0 || outcomes.length < SERVICES.length) {
    const names = failed.map((outcome) => outcome.service).join(',');
    console.error(
      `[fuzz] FAILED: ${names || 'not every service ran'}; ${total} cases in ${seconds} s. ` +
        `Reports in ${REPORT_DIR}; reproduce with FUZZ_SERVICES=${names} npm run fuzz`,
    );
    process.exitCode = 1;
    return;
  }
  console.log(`[fuzz] ${total} generated cases, no 5xx and no undocumented response, in ${seconds} s`);
}

main().catch((error: unknown) => {
  console.error('[fuzz]', error);
  process.exitCode = 1;
});
