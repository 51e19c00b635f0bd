import { existsSync, statSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { buildOutputs, nodeScripts } from '../helpers/static/build-outputs.js';
import {
  dict, durationMs, environment, isDict, isInterpolation, mounts, ports, words, type Dict, type Mount,
} from '../helpers/static/compose.js';
import { argAssignments, commandOf, covers, parseDockerfile } from '../helpers/static/dockerfile.js';
import { SECRET_NAME, read, root, toPosix } from '../helpers/static/repo-files.js';

// docker-compose.yml, checked as text against the Dockerfile and the repo (see tests/helpers/static/repo-files.ts).

/** Secrets the app reads; in compose they may only arrive through env_file. */
const APP_SECRETS = ['API_KEYS', 'WEBHOOK_SECRET', 'ADMIN_TOKEN'];

const dockerfile = parseDockerfile(read('Dockerfile'));
const compose = dict(parseYaml(read('docker-compose.yml')), 'docker-compose.yml');
const services = dict(compose.services, 'services');
const service = (name: string): Dict => dict(services[name], `services.${name}`);

describe('docker-compose.yml', () => {
  const redis = service('redis');
  const api = service('api');
  const worker = service('worker');

  it('runs redis with AOF, noeviction, a named volume and a redis-cli ping healthcheck', () => {
    const command = words(redis.command);
    expect(command).toMatch(/--appendonly\s+yes\b/);
    expect(command).toMatch(/--appendfsync\s+everysec\b/);
    expect(command).toMatch(/--maxmemory-policy\s+noeviction\b/);
    expect(mounts(redis)).toContainEqual({ source: 'redis-data', target: '/data', named: true });
    expect(words(dict(redis.healthcheck, 'redis.healthcheck').test)).toMatch(/redis-cli\s+ping/);
  });

  it('points api and worker at the redis service', () => {
    for (const [name, svc] of [['api', api], ['worker', worker]] as const) {
      const url = environment(svc).get('REDIS_URL');
      expect(url, `${name} REDIS_URL`).toBeTruthy();
      const host = new URL(url ?? '').hostname;
      expect(Object.keys(services), `${name} REDIS_URL host is a service`).toContain(host);
      expect(dict(dict(svc.depends_on, `${name}.depends_on`)[host], `${name}.depends_on.${host}`).condition).toBe(
        'service_healthy',
      );
    }
  });

  it('publishes the API port with a /health healthcheck, built from this repo', () => {
    const port = Number(environment(api).get('PORT') ?? 8080);
    expect(port).toBe(8080);
    expect(ports(api).some((p) => p.container === port && p.host !== undefined)).toBe(true);
    const test = words(dict(api.healthcheck, 'api.healthcheck').test);
    expect(test).toMatch(/\/health\b/);
    expect(test).toMatch(new RegExp(`\\b${port}\\b|process\\.env\\.PORT`));
    const build = typeof api.build === 'string' ? api.build : dict(api.build, 'api.build').context;
    expect(build).toBe('.');
    expect(api.image).toBe('inferq:latest');
  });

  it('passes only build args that the Dockerfile declares', () => {
    const declared = new Set(
      [
        ...dockerfile.globalArgs.keys(),
        ...dockerfile.stages.flatMap((s) => s.instructions.filter((i) => i.keyword === 'ARG'))
          .flatMap((i) => argAssignments(i.args).map(([k]) => k)),
      ],
    );
    for (const [name, svc] of Object.entries(services)) {
      const build = dict(svc, name).build;
      const args = isDict(build) && isDict(build.args) ? Object.keys(build.args) : [];
      for (const arg of args) expect(declared.has(arg), `${name} build arg ${arg} is an ARG`).toBe(true);
    }
  });

  it('runs scalable workers from the same image that drain before Docker kills them', () => {
    expect(worker.image).toBe(api.image);
    expect(words(worker.command)).toBe('node dist/worker/main.js');
    expect(worker.ports, 'replicas cannot share a published port').toBeUndefined();
    expect(worker.container_name, 'a fixed name prevents scaling').toBeUndefined();
    expect(Number(dict(worker.deploy, 'worker.deploy').replicas)).toBeGreaterThanOrEqual(2);
    const drainMs = Number(environment(worker).get('WORKER_SHUTDOWN_TIMEOUT_MS') ?? 30_000);
    expect(worker.stop_grace_period, 'the default 10 s would cut the drain short').toBeDefined();
    expect(durationMs(worker.stop_grace_period)).toBeGreaterThan(drainMs);
    const metricsPort = environment(worker).get('WORKER_METRICS_PORT') ?? '9464';
    expect(metricsPort, 'prometheus.yml discovers workers on 9464').toBe('9464');
    const test = words(dict(worker.healthcheck, 'worker.healthcheck').test);
    expect(test).toMatch(/\/health\b/);
    expect(test).toMatch(/\b9464\b|WORKER_METRICS_PORT/);
  });

  it('mounts one upload volume in api and worker at UPLOAD_DIR', () => {
    const uploadMount = (name: string, svc: Dict): Mount | undefined => {
      const dir = environment(svc).get('UPLOAD_DIR');
      expect(dir, `${name} sets UPLOAD_DIR`).toBeTruthy();
      return mounts(svc).find((m) => m.target === dir);
    };
    const inApi = uploadMount('api', api);
    const inWorker = uploadMount('worker', worker);
    expect(inApi?.named, 'api mounts a named volume at UPLOAD_DIR').toBe(true);
    expect(inWorker).toEqual(inApi);
  });

  it('declares every named volume it mounts', () => {
    const declared = Object.keys(dict(compose.volumes, 'volumes'));
    expect(declared).toEqual(expect.arrayContaining(['redis-data', 'uploads', 'prometheus-data', 'grafana-data']));
    for (const [name, svc] of Object.entries(services)) {
      for (const m of mounts(dict(svc, name)).filter((x) => x.named)) {
        expect(declared, `${name} mounts ${m.source}`).toContain(m.source);
      }
    }
  });

  it('mounts prometheus and grafana configuration that exists in the repo', () => {
    const prometheus = service('prometheus');
    const grafana = service('grafana');
    expect(mounts(prometheus)).toContainEqual(expect.objectContaining({ source: './prometheus', target: '/etc/prometheus' }));
    expect(mounts(grafana)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ source: './grafana/provisioning', target: '/etc/grafana/provisioning' }),
        expect.objectContaining({ source: './grafana/dashboards', target: '/var/lib/grafana/dashboards' }),
      ]),
    );
    for (const [name, svc] of Object.entries(services)) {
      for (const m of mounts(dict(svc, name)).filter((x) => !x.named)) {
        expect(existsSync(join(root, m.source)), `${name} bind-mounts ${m.source}`).toBe(true);
      }
    }
    const config = /--config\.file=(\S+)/.exec(words(prometheus.command))?.[1];
    expect(config).toBe('/etc/prometheus/prometheus.yml');
    const mount = mounts(prometheus).find((m) => !m.named && covers(m.target, config ?? ''));
    const hostPath = join(root, mount?.source ?? '', posix.relative(mount?.target ?? '/', config ?? ''));
    expect(existsSync(hostPath) && statSync(hostPath).isFile(), `${toPosix(relative(root, hostPath))} exists`).toBe(true);
  });

  it('keeps secrets out of the file: app secrets via env_file only, others interpolated', () => {
    for (const [name, svc] of Object.entries(services)) {
      const s = dict(svc, name);
      for (const [key, value] of environment(s)) {
        expect(APP_SECRETS.includes(key), `${name}.environment sets ${key}; it belongs in .env`).toBe(false);
        if (SECRET_NAME.test(key) && value !== null) {
          expect(isInterpolation(value), `${name}.environment.${key} must be \${VAR}, got ${value}`).toBe(true);
        }
      }
      const build = isDict(s.build) ? s.build : {};
      for (const [key, value] of Object.entries(isDict(build.args) ? build.args : {})) {
        expect(SECRET_NAME.test(key) && String(value ?? '') !== '', `${name} build arg ${key}`).toBe(false);
      }
    }
    const password = environment(service('grafana')).get('GF_SECURITY_ADMIN_PASSWORD');
    expect(isInterpolation(password ?? '')).toBe(true);
    for (const svc of [api, worker]) {
      const files = (Array.isArray(svc.env_file) ? svc.env_file : [svc.env_file]) as unknown[];
      expect(files).toContainEqual({ path: '.env', required: false });
    }
  });

  it('runs only commands that the build produces', () => {
    const outputs = buildOutputs();
    const commands = [
      ...dockerfile.stages.flatMap((s) => s.instructions)
        .filter((i) => ['RUN', 'CMD', 'ENTRYPOINT'].includes(i.keyword))
        .map((i) => commandOf(i.args).join(' ')),
      ...Object.values(services).map((svc) => words(dict(svc, 'service').command)),
    ];
    const used = [...new Set(commands.flatMap(nodeScripts))];
    expect(used).toEqual(expect.arrayContaining(['dist/api/main.js', 'dist/worker/main.js', 'dist/models/fetch.js']));
    for (const script of used) {
      expect(outputs.get(script), `${script} is emitted by tsconfig.build.json`).toBeDefined();
      expect(existsSync(join(root, outputs.get(script) ?? '\0')), `${outputs.get(script)} exists`).toBe(true);
    }
  });
});
