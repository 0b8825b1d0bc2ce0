import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const CHECKER = join(__dirname, 'manifests.sh');
// The first run on a machine installs the validators and builds the Compose loader.
const FIRST_RUN_MS = 10 * 60_000;

interface Outcome {
  code: number;
  output: string;
}

function check(args: string[] = [], env: NodeJS.ProcessEnv = process.env): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [CHECKER, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}

const copies: string[] = [];

/** A copy of a file or directory of the repository, in a directory of its own. */
function copyOf(relativePath: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ticketflow-manifests-'));
  copies.push(dir);
  const copy = join(dir, basename(relativePath));
  cpSync(join(ROOT, relativePath), copy, { recursive: true });
  return copy;
}

/** Replaces text that must be there, so a planted error can never silently miss. */
function plant(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`${file} no longer contains ${JSON.stringify(from)}`);
  writeFileSync(file, text.replace(from, to));
}

afterEach(() => {
  for (const dir of copies.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('deployment file checks (deploy/lint/manifests.sh)', () => {
  it(
    "pass the repository's manifests, Compose file and Dockerfile as they are",
    async () => {
      const { code, output } = await check();
      expect(output).toContain('ok: deploy/k8s');
      expect(output).toContain('ok: docker-compose.yml');
      expect(output).toContain('ok: deploy/docker/Dockerfile');
      expect(code).toBe(0);
    },
    FIRST_RUN_MS,
  );

  describe('Kubernetes', () => {
    it(
      'fail a field the Deployment schema does not have, naming it and every Deployment it reaches',
      async () => {
        const k8s = copyOf('deploy/k8s');
        plant(
          join(k8s, 'service-template', 'deployment.yaml'),
          '          image: ticketflow\n',
          '          image: ticketflow\n          restartPolicyy: Always\n',
        );
        const { code, output } = await check(['--k8s', k8s]);
        expect(output).toContain(`FAILED: ${k8s}`);
        expect(output).toContain("'restartPolicyy' was unexpected");
        for (const service of ['intake', 'routing', 'sla', 'notifications']) {
          expect(output).toContain(`resource deployment/${service} against version 1.31`);
        }
        expect(code).toBe(1);
      },
      FIRST_RUN_MS,
    );

    it(
      'fail a Secret in the applied set, which would overwrite the one the operator created',
      async () => {
        const k8s = copyOf('deploy/k8s');
        writeFileSync(
          join(k8s, 'secret.yaml'),
          'apiVersion: v1\nkind: Secret\nmetadata: { name: ticketflow-secrets }\nstringData: { API_KEYS: x }\n',
        );
        plant(join(k8s, 'kustomization.yaml'), '  - config.yaml\n', '  - config.yaml\n  - secret.yaml\n');
        const { code, output } = await check(['--k8s', k8s]);
        expect(output).toContain('Secret/ticketflow-secrets: Secrets are created by the operator');
        expect(code).toBe(1);
      },
      FIRST_RUN_MS,
    );

    it(
      'fail a pod that would run as root',
      async () => {
        const k8s = copyOf('deploy/k8s');
        plant(join(k8s, 'bootstrap-job.yaml'), 'runAsUser: 1000', 'runAsUser: 0');
        const { code, output } = await check(['--k8s', k8s]);
        expect(output).toMatch(
          /Job\/ticketflow-bootstrap-[^:]+: container bootstrap: runAsUser must be a non-zero/,
        );
        expect(code).toBe(1);
      },
      FIRST_RUN_MS,
    );

    it(
      'fail a kustomization that does not build, rather than validating nothing',
      async () => {
        const k8s = copyOf('deploy/k8s');
        plant(join(k8s, 'kustomization.yaml'), '  - sla\n', '  - sla\n  - billing\n');
        const { code, output } = await check(['--k8s', k8s]);
        expect(output).toContain(`FAILED: ${k8s}`);
        expect(output).toContain('billing');
        expect(code).toBe(1);
      },
      FIRST_RUN_MS,
    );
  });

  describe('Compose', () => {
    it(
      'fail a key the Compose specification does not have, naming it',
      async () => {
        const compose = copyOf('docker-compose.yml');
        plant(compose, '  mailpit:\n', '  mailpit:\n    restart_policy: always\n');
        const { code, output } = await check(['--compose', compose]);
        expect(output).toContain(`FAILED: ${compose}`);
        expect(output).toContain('services.mailpit.restart_policy');
        expect(code).toBe(1);
      },
      FIRST_RUN_MS,
    );

    it(
      'fail an image on a floating tag',
      async () => {
        const compose = copyOf('docker-compose.yml');
        plant(compose, 'image: redis:7.4.11\n', 'image: redis:7\n');
        const { code, output } = await check(['--compose', compose]);
        expect(output).toContain('services.redis image "redis:7" is not pinned');
        expect(code).toBe(1);
      },
      FIRST_RUN_MS,
    );

    it(
      "interpolate the project's .env and the environment, the environment first, as docker compose does",
      async () => {
        const compose = copyOf('docker-compose.yml');
        writeFileSync(join(dirname(compose), '.env'), 'POSTGRES_PORT=five\n');
        const { POSTGRES_PORT: _unset, ...withoutPort } = process.env;
        const fromDotEnv = await check(['--compose', compose], withoutPort);
        expect(fromDotEnv.output).toContain('Invalid hostPort: five');
        expect(fromDotEnv.code).toBe(1);
        const fromEnvironment = await check(['--compose', compose], {
          ...withoutPort,
          POSTGRES_PORT: '55433',
        });
        expect(fromEnvironment.output).toContain(`ok: ${compose}`);
        expect(fromEnvironment.code).toBe(0);
      },
      FIRST_RUN_MS,
    );
  });

  describe('Dockerfile', () => {
    it(
      'fail what hadolint finds: a named user, which Kubernetes cannot prove non-root',
      async () => {
        const dockerfile = copyOf('deploy/docker/Dockerfile');
        plant(dockerfile, 'USER 1000:1000\n', 'USER node\n');
        const { code, output } = await check(['--dockerfile', dockerfile]);
        expect(output).toContain(`FAILED: ${dockerfile}`);
        expect(output).toContain('DL3066');
        expect(code).toBe(1);
      },
      FIRST_RUN_MS,
    );

    it(
      'fail a base image without its full version, and a final stage without a USER',
      async () => {
        const dockerfile = copyOf('deploy/docker/Dockerfile');
        plant(dockerfile, 'FROM node:24.22.3-bookworm-slim\n', 'FROM node:24-bookworm-slim\n');
        plant(dockerfile, 'USER 1000:1000\n', '');
        const { code, output } = await check(['--dockerfile', dockerfile]);
        expect(output).toContain('base image node:24-bookworm-slim is not pinned to a full version');
        expect(output).toContain('the final stage sets no USER');
        expect(code).toBe(1);
      },
      FIRST_RUN_MS,
    );
  });
});
